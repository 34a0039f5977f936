// Shared benchmark plumbing: a scene in namespaces, the plugin runner, the agent, CPU accounting,
// interleaving and statistics. Both sides of a comparison run in the same process, same scene, same
// run, their calls interleaved, so load on the (shared) machine hits both alike.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';

export function sh(argv: string[], input?: string): string {
  return execFileSync(argv[0]!, argv.slice(1), {
    encoding: 'utf8',
    ...(input !== undefined ? { input } : {}),
  });
}

export interface Scene {
  host: string; // netns name holding the master
  hostPath: string;
  master: string;
  cleanup(): void;
}

/** A "host" namespace with a veth whose end serves as macvlan master (never the machine's eth0). */
export function makeScene(prefix: string): Scene {
  const id = randomBytes(3).toString('hex');
  const host = `${prefix}h${id}`;
  const peer = `${prefix}s${id}`;
  sh(['ip', 'netns', 'add', host]);
  sh(['ip', 'netns', 'add', peer]);
  sh(['ip', '-n', host, 'link', 'set', 'lo', 'up']);
  sh(['ip', '-n', host, 'link', 'add', 'uplink0', 'type', 'veth', 'peer', 'name', 'sw0', 'netns', peer]);
  sh(['ip', '-n', host, 'link', 'set', 'uplink0', 'up']);
  sh(['ip', '-n', peer, 'link', 'set', 'sw0', 'up']);
  return {
    host,
    hostPath: `/var/run/netns/${host}`,
    master: 'uplink0',
    cleanup() {
      for (const ns of [host, peer]) {
        try {
          sh(['ip', 'netns', 'del', ns]);
        } catch {
          // already gone
        }
      }
    },
  };
}

export function makeNetns(name: string): string {
  sh(['ip', 'netns', 'add', name]);
  return `/var/run/netns/${name}`;
}

export interface RunResult {
  code: number;
  stdout: string;
  ms: number;
}

/** Runs a plugin (inside `netnsPath`, the harness's host namespace, if given) as a runtime does, timed. */
export function runPlugin(
  file: string,
  env: Record<string, string>,
  stdin: string,
  netnsPath?: string,
): Promise<RunResult> {
  const argv = netnsPath ? ['nsenter', `--net=${netnsPath}`, file] : [file];
  const t0 = process.hrtime.bigint();
  return new Promise((resolve, reject) => {
    const clean: Record<string, string> = { PATH: process.env['PATH'] ?? '/usr/bin:/bin', ...env };
    const child = spawn(argv[0]!, argv.slice(1), { env: clean, stdio: ['pipe', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString();
    });
    child.on('error', reject);
    child.on('close', (code) =>
      resolve({ code: code ?? 1, stdout: out, ms: Number(process.hrtime.bigint() - t0) / 1e6 }),
    );
    // A plugin may exit without reading stdin (the shim answers VERSION by itself).
    child.stdin.on('error', () => {});
    child.stdin.end(stdin);
  });
}

export function percentile(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  if (s.length === 0) return Number.NaN;
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
}

export const fmt = (n: number) => n.toFixed(1);

/** A figure over the repetitions of a scenario: median, and the spread as min–max. */
export function spread(xs: number[], digits = 1): string {
  if (xs.length === 0) return 'n/a';
  const lo = Math.min(...xs).toFixed(digits);
  const hi = Math.max(...xs).toFixed(digits);
  return `${percentile(xs, 50).toFixed(digits)} (${lo}–${hi})`;
}

/** The sides in a random order: each round of a comparison runs them in a fresh one. */
export function shuffled<T>(xs: readonly T[]): T[] {
  const out = [...xs];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

/** Failed calls per side: kept out of the latency figures and reported as counts. */
export class Failures {
  private readonly bySide = new Map<string, string[]>();
  add(side: string, what: string): void {
    const list = this.bySide.get(side) ?? [];
    list.push(what);
    this.bySide.set(side, list);
  }
  count(side: string): number {
    return this.bySide.get(side)?.length ?? 0;
  }
  report(): string {
    if (this.bySide.size === 0) return 'failed calls: none';
    return [...this.bySide]
      .map(([side, l]) => `FAILED calls, ${side}: ${l.length}, e.g. ${l.slice(0, 3).join(' | ')}`)
      .join('\n');
  }
}

/**
 * CPU time (ms) of a process including its waited-for children (an agent's exec'd delegates), or of
 * this process's waited-for children (the plugins the harness ran); `only: 'system'` counts the time
 * spent in the kernel on their behalf alone.
 */
export function cpuMs(pid: number | 'children', only?: 'system'): number {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid === 'children' ? 'self' : pid}/stat`, 'utf8');
  } catch {
    return 0; // gone (reported where it died)
  }
  const f = stat
    .slice(stat.lastIndexOf(')') + 2)
    .split(' ')
    .map(Number);
  // Fields after the name start at state (3): utime 14, stime 15, cutime 16, cstime 17.
  const [utime, stime, cutime, cstime] = [f[11]!, f[12]!, f[13]!, f[14]!];
  const ticks =
    pid === 'children' ? cstime + (only ? 0 : cutime) : stime + cstime + (only ? 0 : utime + cutime);
  return (ticks * 1000) / 100; // USER_HZ
}

/**
 * Runs `script --inner <ctx as JSON>` with this node and its flags inside the namespace at `netnsPath`
 * (a benchmark's measuring half, so its calls are plain execs there); returns its exit status.
 */
export function rerunInside(
  netnsPath: string,
  script: string,
  ctx: unknown,
  env: NodeJS.ProcessEnv = process.env,
): number {
  const r = spawnSync(
    'nsenter',
    [`--net=${netnsPath}`, process.execPath, ...process.execArgv, script, '--inner', JSON.stringify(ctx)],
    { stdio: 'inherit', env },
  );
  return r.status ?? 1;
}

const CPUACCT = '/sys/fs/cgroup/cpuacct';

/**
 * CPU (ms) of everything this process starts, orphans included. A shim without the agent answers
 * once its Node child reports (the child, its work done, dies with the shim), so that child is never
 * waited for and rusage misses it. This process moves into a cpuacct cgroup of its own; `settle()`
 * waits until nothing else is left in it, so each call's teardown is counted with that call. Where
 * the cgroup cannot be made, rusage of waited-for children is used (and `method` says so).
 */
export class DescendantCpu {
  private readonly dir: string | undefined;
  constructor() {
    const dir = `${CPUACCT}/trunkline-bench-${process.pid}`;
    try {
      mkdirSync(dir);
      writeFileSync(`${dir}/cgroup.procs`, String(process.pid));
      this.dir = dir;
    } catch {
      this.dir = undefined;
    }
  }

  /** False where the cgroup could not be made: ms() is then rusage of waited-for children only. */
  get counting(): boolean {
    return this.dir !== undefined;
  }

  get method(): string {
    return this.dir ? 'cgroup cpuacct, every descendant' : 'rusage of waited-for children';
  }

  /** Waits until no descendant is left but `keep` (long-lived ones: agents). */
  async settle(keep: readonly number[] = []): Promise<void> {
    if (!this.dir) return;
    const stays = new Set([process.pid, ...keep]);
    for (let i = 0; i < 1000; i++) {
      const procs = readFileSync(`${this.dir}/cgroup.procs`, 'utf8').split('\n').filter(Boolean);
      if (procs.every((p) => stays.has(Number(p)))) return;
      await new Promise((r) => setTimeout(r, 2));
    }
  }

  ms(): number {
    if (!this.dir) return cpuMs('children');
    const own = process.cpuUsage();
    return Number(readFileSync(`${this.dir}/cpuacct.usage`, 'utf8')) / 1e6 - (own.user + own.system) / 1000;
  }

  /** Leaves the cgroup and removes it once the last descendant (an agent stopping) has left too. */
  async close(): Promise<void> {
    if (!this.dir) return;
    writeFileSync(`${CPUACCT}/cgroup.procs`, String(process.pid));
    for (let i = 0; i < 500; i++) {
      try {
        rmdirSync(this.dir);
        return;
      } catch {
        await new Promise((r) => setTimeout(r, 10));
      }
    }
    console.warn(`${this.dir} left behind: processes still in it`);
  }
}

export async function waitForSocket(path: string, alive: () => boolean = () => true): Promise<void> {
  for (let i = 0; i < 800; i++) {
    const ok = await new Promise<boolean>((r) => {
      const c = connect(path);
      c.once('connect', () => {
        c.destroy();
        r(true);
      });
      c.once('error', () => r(false));
    });
    if (ok) return;
    if (!alive()) break;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`the agent did not start on ${path}`);
}

export interface BenchAgent {
  pid: number;
  socket: string;
  stop(): Promise<number>;
}

/**
 * The built agent on `socket` (logs at warn unless `logLevel`, `env` added to the harness's);
 * BENCH_AGENT_NODE_ARGS go to its node.
 */
export async function startBenchAgent(
  agentJs: string,
  socket: string,
  extra: string[] = [],
  logLevel = 'warn',
  env: Record<string, string> = {},
): Promise<BenchAgent> {
  const nodeArgs = (process.env['BENCH_AGENT_NODE_ARGS'] ?? '').split(' ').filter(Boolean);
  const child = spawn(
    process.execPath,
    [...nodeArgs, agentJs, '--socket', socket, '--metrics-port', 'off', ...extra],
    {
      env: { ...process.env, ...env, TRUNKLINE_LOG_LEVEL: logLevel },
      stdio: ['ignore', 'inherit', 'inherit'],
    },
  );
  let stopping = false;
  const exited = new Promise<number>((r) =>
    child.once('exit', (c, sig) => {
      if (!stopping) console.log(`!! the agent on ${socket} died during the run: exit ${c}, signal ${sig}`);
      r(c ?? 1);
    }),
  );
  await waitForSocket(socket, () => child.exitCode === null);
  return {
    pid: child.pid!,
    socket,
    stop: () => {
      stopping = true;
      child.kill('SIGTERM');
      return exited;
    },
  };
}

export function machine(): string {
  const info = readFileSync('/proc/cpuinfo', 'utf8');
  const cpu = info.match(/model name\s*:\s*(.*)/)?.[1] ?? 'unknown cpu';
  const cores = info.match(/^processor/gm)?.length ?? 0;
  const load = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  return `${new Date().toISOString()}; ${cpu}, ${cores} cores, kernel ${sh(['uname', '-r']).trim()}, node ${process.version}; load ${load}`;
}
