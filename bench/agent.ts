// Issue 7: the node agent + C shims against the reference plugins, both sides in one run.
//   node --import tsx bench/agent.ts        (after `node scripts/build.mjs`; see bench/README.md)
// The outer process builds a scene (a "host" namespace whose veth is the macvlan master) and re-runs
// this file inside that namespace, so neither side pays an `ip netns exec`/nsenter per call: every
// plugin is spawned directly by the harness, as a runtime would. NODE_EXTRA_CA_CERTS is unset.
// Sizes: BENCH_SINGLE (200), BENCH_BURST (100), BENCH_CHURN (1000), BENCH_WAVE (50), BENCH_FALLBACK (50).
import { spawn, spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fmt, makeScene, percentile, sh } from './lib.js';

const self = fileURLToPath(import.meta.url);
const here = dirname(self);
const ROOT = here.includes('/build/') ? join(here, '..', '..') : join(here, '..');
const DIST_CNI = join(ROOT, 'dist', 'cni');
const AGENT = join(ROOT, 'dist', 'agent', 'agent.js');
const REF = '/usr/lib/cni';
const num = (k: string, d: number) => Number(process.env[k] ?? d);
const SINGLE = num('BENCH_SINGLE', 200);
const BURST = num('BENCH_BURST', 100);
const CHURN = num('BENCH_CHURN', 1000);
const WAVE = num('BENCH_WAVE', 50);
const FALLBACK = num('BENCH_FALLBACK', 50);
delete process.env['NODE_EXTRA_CA_CERTS'];

interface Ctx {
  host: string;
  master: string;
  prefix: string;
}

// ---------------------------------------------------------------- outer: scene, then re-run inside it
async function outer(): Promise<void> {
  for (const f of [join(DIST_CNI, 'trunkline-macvlan'), AGENT]) {
    if (!existsSync(f)) throw new Error(`${f} is missing: run node scripts/build.mjs first`);
  }
  const scene = makeScene('ta');
  const ctx: Ctx = { host: scene.host, master: scene.master, prefix: `${scene.host}p` };
  try {
    const r = spawnSync(
      'nsenter',
      [
        `--net=${scene.hostPath}`,
        process.execPath,
        ...process.execArgv,
        self,
        '--inner',
        JSON.stringify(ctx),
      ],
      { stdio: 'inherit', env: process.env },
    );
    if (r.status !== 0) process.exitCode = r.status ?? 1;
  } finally {
    for (const ns of sh(['ip', 'netns', 'list']).split('\n')) {
      const name = ns.split(' ')[0] ?? '';
      if (name.startsWith(ctx.prefix)) spawnSync('ip', ['netns', 'del', name]);
    }
    scene.cleanup();
  }
}

// ---------------------------------------------------------------- inner: runs in the host namespace
interface Run {
  code: number;
  stdout: string;
  ms: number;
}

function exec(file: string, env: Record<string, string>, stdin: string): Promise<Run> {
  const t0 = process.hrtime.bigint();
  return new Promise((resolve, reject) => {
    const child = spawn(file, [], {
      env: { PATH: process.env['PATH'] ?? '/usr/sbin:/usr/bin:/sbin:/bin', ...env },
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString();
    });
    child.on('error', reject);
    child.on('close', (code) =>
      resolve({ code: code ?? 1, stdout: out, ms: Number(process.hrtime.bigint() - t0) / 1e6 }),
    );
    child.stdin.end(stdin);
  });
}

interface Side {
  label: string;
  file: string;
  conf: string;
  env: Record<string, string>;
  /** Allocations still held (must be 0 at the end). */
  leftover(): Promise<number>;
}

const tmp = mkdtempSync(join(tmpdir(), 'ta-bench-'));

function hostLocal(name: string, subnet: string) {
  const dataDir = join(tmp, `hl-${name}`);
  return {
    name,
    ipam: { type: 'host-local', dataDir, ranges: [[{ subnet }]] },
    leftover: async () => {
      const dir = join(dataDir, name);
      if (!existsSync(dir)) return 0;
      return readdirSync(dir).filter((f) => f !== 'lock' && !f.startsWith('last_reserved_ip')).length;
    },
  };
}

function trunklineIpam(name: string, third: number) {
  const manifestDir = join(tmp, `manifests-${name}`);
  mkdirSync(manifestDir, { recursive: true });
  writeFileSync(
    join(manifestDir, 'pool.yaml'),
    `apiVersion: spiderpool.spidernet.io/v2beta1
kind: SpiderIPPool
metadata: {name: ${name}}
spec:
  subnet: 10.${third}.0.0/16
  ips: [10.${third}.0.10-10.${third}.15.250]
  gateway: 10.${third}.0.1
`,
  );
  const path = join(tmp, `${name}.db`);
  return {
    name,
    ipam: {
      type: 'trunkline-ipam',
      default_ipv4_ippool: [name],
      manifestDir,
      stateDir: join(tmp, `state-${name}`),
      store: { path },
    },
    leftover: async () => {
      const { createStore } = await import('../src/store/index.js');
      const s = createStore({ path });
      try {
        return (await s.list()).length;
      } finally {
        await s.close();
      }
    },
  };
}

function side(
  label: string,
  file: string,
  type: string,
  master: string,
  ipam: { name: string; ipam: object; leftover: () => Promise<number> },
  env: Record<string, string> = {},
): Side {
  const conf = JSON.stringify({
    cniVersion: '1.0.0',
    name: ipam.name,
    type,
    master,
    mode: 'bridge',
    ipam: ipam.ipam,
  });
  return { label, file, conf, env, leftover: ipam.leftover };
}

function cniEnv(s: Side, command: string, id: string, netns: string): Record<string, string> {
  return {
    ...s.env,
    CNI_COMMAND: command,
    CNI_CONTAINERID: id,
    CNI_NETNS: netns,
    CNI_IFNAME: 'eth0',
    CNI_PATH: `${DIST_CNI}:${REF}`,
  };
}

const failures = new Map<string, string[]>();

/** Times one call; a failure is recorded (and reported at the end) rather than aborting the run. */
async function call(s: Side, command: string, id: string, netns: string): Promise<number> {
  const r = await exec(s.file, cniEnv(s, command, id, netns), s.conf);
  if (r.code !== 0) {
    const list = failures.get(s.label) ?? [];
    list.push(`${command} ${id}: ${r.stdout.trim().slice(0, 200)}`);
    failures.set(s.label, list);
  }
  return r.ms;
}

function makeNamespaces(prefix: string, n: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const name = `${prefix}${i}`;
    sh(['ip', 'netns', 'add', name]);
    out.push(`/var/run/netns/${name}`);
  }
  return out;
}

interface SingleResult {
  label: string;
  add: number[];
  del: number[];
  pair: number[];
}

async function single(s: Side, ns: string, n: number): Promise<SingleResult> {
  const r: SingleResult = { label: s.label, add: [], del: [], pair: [] };
  for (let i = 0; i < n; i++) {
    const a = await call(s, 'ADD', `s${i}`, ns);
    const d = await call(s, 'DEL', `s${i}`, ns);
    r.add.push(a);
    r.del.push(d);
    r.pair.push(a + d);
  }
  return r;
}

interface BurstResult {
  label: string;
  addWall: number;
  delWall: number;
  addP99: number;
  delP99: number;
  cpuPerPod: number;
}

let agentPids: number[] = [];

async function burst(s: Side, namespaces: string[]): Promise<BurstResult> {
  const cpu0 = cpuMs('children') + agentPids.reduce((a, p) => a + cpuMs(p), 0);
  let t0 = performance.now();
  const adds = await Promise.all(namespaces.map((ns, i) => call(s, 'ADD', `b${i}`, ns)));
  const addWall = performance.now() - t0;
  t0 = performance.now();
  const dels = await Promise.all(namespaces.map((ns, i) => call(s, 'DEL', `b${i}`, ns)));
  const delWall = performance.now() - t0;
  const cpu = cpuMs('children') + agentPids.reduce((a, p) => a + cpuMs(p), 0) - cpu0;
  return {
    label: s.label,
    addWall,
    delWall,
    addP99: percentile(adds, 99),
    delP99: percentile(dels, 99),
    cpuPerPod: cpu / namespaces.length,
  };
}

/** CPU time (ms) of a process, or of the waited-for children of this one (the plugins it ran). */
function cpuMs(pid: number | 'children'): number {
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
  const [u, s] = pid === 'children' ? [f[13]!, f[14]!] : [f[11]!, f[12]!];
  return ((u + s) * 1000) / 100; // USER_HZ
}

function rssKb(pid: number): number {
  const m = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(m?.[1] ?? 0);
}

function linksLeft(namespaces: string[]): number {
  let n = 0;
  for (const ns of namespaces) {
    const name = ns.split('/').pop()!;
    n += sh(['ip', '-n', name, '-o', 'link'])
      .trim()
      .split('\n')
      .filter((l) => !/: lo:/.test(l)).length;
  }
  return n;
}

interface Agent {
  pid: number;
  socket: string;
  stop(): Promise<number>;
}

async function startAgent(kernel: 'netlink' | 'iproute2'): Promise<Agent> {
  const socket = join(tmp, `agent-${kernel}.sock`);
  const nodeArgs = (process.env['BENCH_AGENT_NODE_ARGS'] ?? '').split(' ').filter(Boolean);
  const child = spawn(
    process.execPath,
    [...nodeArgs, AGENT, '--socket', socket, '--metrics-port', 'off', '--kernel', kernel],
    {
      env: { ...process.env, TRUNKLINE_LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'inherit', 'inherit'],
    },
  );
  let stopping = false;
  const exited = new Promise<number>((r) =>
    child.once('exit', (c, sig) => {
      if (!stopping) console.log(`!! the ${kernel} agent died during the run: exit ${c}, signal ${sig}`);
      r(c ?? 1);
    }),
  );
  for (let i = 0; ; i++) {
    const ok = await new Promise<boolean>((r) => {
      const c = connect(socket);
      c.once('connect', () => {
        c.destroy();
        r(true);
      });
      c.once('error', () => r(false));
    });
    if (ok) break;
    if (i > 200 || child.exitCode !== null) throw new Error('the agent did not start');
    await new Promise((r) => setTimeout(r, 25));
  }
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

/** execve calls the agent makes for one ADD and one DEL (strace), or undefined without strace. */
async function spawnsPerPair(
  agent: Agent,
  s: Side,
  ns: string,
): Promise<{ add: number; del: number } | undefined> {
  if (spawnSync('strace', ['-V']).status !== 0) return undefined;
  const count = async (command: string): Promise<number> => {
    const log = join(tmp, `strace-${command}.txt`);
    const st = spawn(
      'strace',
      ['-f', '-qq', '-e', 'trace=execve', '-e', 'signal=none', '-o', log, '-p', String(agent.pid)],
      {
        stdio: 'ignore',
      },
    );
    await new Promise((r) => setTimeout(r, 300));
    await call(s, command, 'strace0', ns);
    await new Promise((r) => setTimeout(r, 100));
    st.kill('SIGINT');
    await new Promise((r) => st.once('exit', r));
    return readFileSync(log, 'utf8')
      .split('\n')
      .filter((l) => l.includes('execve(') && / = 0$/.test(l)).length;
  };
  return { add: await count('ADD'), del: await count('DEL') };
}

function row(cells: (string | number)[], widths: number[]): string {
  return cells
    .map((c, i) => (i === 0 ? String(c).padEnd(widths[i]!) : String(c).padStart(widths[i]!)))
    .join('  ');
}

async function inner(ctx: Ctx): Promise<void> {
  const cpu = readFileSync('/proc/cpuinfo', 'utf8').match(/model name\s*:\s*(.*)/)?.[1] ?? 'unknown cpu';
  const cores = readFileSync('/proc/cpuinfo', 'utf8').match(/^processor/gm)?.length ?? 0;
  console.log(
    `machine: ${cpu}, ${cores} cores, kernel ${sh(['uname', '-r']).trim()}, node ${process.version}`,
  );
  console.log(
    `sizes: single ${SINGLE}, burst ${BURST}, churn ${CHURN} in waves of ${WAVE}, fallback ${FALLBACK}\n`,
  );
  const shim = join(DIST_CNI, 'trunkline-macvlan');
  const singleNs = makeNamespaces(`${ctx.prefix}s`, 1)[0]!;
  const burstNs = makeNamespaces(`${ctx.prefix}b`, BURST);
  const waveNs = makeNamespaces(`${ctx.prefix}w`, WAVE);
  const agents: Agent[] = [];
  try {
    const nl = await startAgent('netlink');
    agents.push(nl);
    const ip2 = await startAgent('iproute2');
    agents.push(ip2);
    agentPids = [nl.pid, ip2.pid];
    const viaAgent = (a: Agent) => ({ TRUNKLINE_AGENT_SOCK: a.socket });
    const ref = side(
      'reference',
      join(REF, 'macvlan'),
      'macvlan',
      ctx.master,
      hostLocal('reference', '10.121.0.0/16'),
    );
    const oursHl = side(
      'agent+host-local',
      shim,
      'trunkline-macvlan',
      ctx.master,
      hostLocal('agent-hl', '10.122.0.0/16'),
      viaAgent(nl),
    );
    const ours = side(
      'agent+tl-ipam',
      shim,
      'trunkline-macvlan',
      ctx.master,
      trunklineIpam('agent-tl', 123),
      viaAgent(nl),
    );
    const oursIp2 = side(
      'agent(iproute2)+tl-ipam',
      shim,
      'trunkline-macvlan',
      ctx.master,
      trunklineIpam('agent-ip2', 124),
      viaAgent(ip2),
    );
    const fallback = side(
      'no agent (fallback)',
      shim,
      'trunkline-macvlan',
      ctx.master,
      trunklineIpam('fallback', 125),
      {
        TRUNKLINE_AGENT_SOCK: join(tmp, 'no-agent.sock'),
      },
    );
    // Warm-up (page cache, agent JIT), not measured.
    for (const s of [ref, oursHl, ours, oursIp2]) await single(s, singleNs, 10);

    console.log('spawns inside the agent per ADD / DEL (strace execve):');
    for (const [a, s] of [
      [ip2, oursIp2],
      [nl, ours],
      [nl, oursHl],
    ] as const) {
      const c = await spawnsPerPair(a, s, singleNs);
      console.log(`  ${s.label.padEnd(26)} ${c ? `${c.add} / ${c.del}` : 'strace not available'}`);
    }

    // 1. single pod, sequential
    const W1 = [26, 8, 8, 9, 9];
    console.log(`\n1. single pod: ${SINGLE} sequential ADD+DEL (ms per call, wall)`);
    console.log(row(['side', 'ADD p50', 'DEL p50', 'pair p50', 'pair p99'], W1));
    const singles: SingleResult[] = [];
    for (const s of [ref, ours, oursHl, oursIp2]) singles.push(await single(s, singleNs, SINGLE));
    singles.push(await single(fallback, singleNs, FALLBACK));
    for (const r of singles) {
      console.log(
        row(
          [
            r.label,
            fmt(percentile(r.add, 50)),
            fmt(percentile(r.del, 50)),
            fmt(percentile(r.pair, 50)),
            fmt(percentile(r.pair, 99)),
          ],
          W1,
        ),
      );
    }
    const refS = singles[0]!;
    for (const r of singles.slice(1)) {
      console.log(
        `  ratio ${r.label}/reference: pair p50 ${(percentile(r.pair, 50) / percentile(refS.pair, 50)).toFixed(2)}, p99 ${(percentile(r.pair, 99) / percentile(refS.pair, 99)).toFixed(2)}`,
      );
    }

    // 2. burst
    const W2 = [26, 10, 8, 10, 8, 13];
    console.log(`\n2. burst: ${BURST} pods ADDed concurrently in ${BURST} namespaces, then DELed (ms)`);
    console.log(row(['side', 'ADD wall', 'ADD p99', 'DEL wall', 'DEL p99', 'CPU/pod (ms)'], W2));
    const bursts: BurstResult[] = [];
    for (const s of [ref, ours, oursHl, oursIp2, fallback]) bursts.push(await burst(s, burstNs));
    for (const b of bursts) {
      console.log(
        row([b.label, fmt(b.addWall), fmt(b.addP99), fmt(b.delWall), fmt(b.delP99), fmt(b.cpuPerPod)], W2),
      );
    }
    const refB = bursts[0]!;
    for (const b of bursts.slice(1)) {
      console.log(
        `  ratio ${b.label}/reference: ADD wall ${(b.addWall / refB.addWall).toFixed(2)}, DEL wall ${(b.delWall / refB.delWall).toFixed(2)}, ADD p99 ${(b.addP99 / refB.addP99).toFixed(2)}`,
      );
    }

    // 3. churn through the agent
    console.log(`\n3. churn: ${CHURN} pods through the agent (netlink, trunkline-ipam) in waves of ${WAVE}`);
    const rss0 = rssKb(nl.pid);
    const samples: string[] = [];
    const t0 = performance.now();
    for (let w = 0; w * WAVE < CHURN; w++) {
      const ids = waveNs.map((_, i) => `c${w}-${i}`);
      await Promise.all(waveNs.map((ns, i) => call(ours, 'ADD', ids[i]!, ns)));
      await Promise.all(waveNs.map((ns, i) => call(ours, 'DEL', ids[i]!, ns)));
      const done = (w + 1) * WAVE;
      if (done % Math.max(WAVE, Math.floor(CHURN / 8 / WAVE) * WAVE) === 0) {
        samples.push(`${done}:${(rssKb(nl.pid) / 1024).toFixed(0)}`);
      }
    }
    const churnMs = performance.now() - t0;
    const rss1 = rssKb(nl.pid);
    console.log(
      `  ${fmt(churnMs)} ms total; agent RSS ${(rss0 / 1024).toFixed(1)} MiB before, ${(rss1 / 1024).toFixed(1)} MiB after (${((rss1 - rss0) / 1024).toFixed(1)} MiB growth)`,
    );
    console.log(`  RSS (MiB) after N pods: ${samples.join(' ')}`);

    const all = [singleNs, ...burstNs, ...waveNs];
    const left: string[] = [];
    for (const s of [ref, ours, oursHl, oursIp2, fallback]) left.push(`${s.label} ${await s.leftover()}`);
    console.log(
      `\nleft at the end: links in pod namespaces besides lo: ${linksLeft(all)}; allocations: ${left.join(', ')}`,
    );
    const hostLinks = sh(['ip', '-o', 'link']).trim().split('\n').length;
    console.log(`links in the host namespace: ${hostLinks} (lo and ${ctx.master})`);
    for (const [label, list] of failures) {
      console.log(`FAILED calls, ${label}: ${list.length}, e.g. ${list.slice(0, 3).join(' | ')}`);
    }
    if (failures.size === 0) console.log('failed calls: none');
  } finally {
    for (const a of agents) {
      const code = await a.stop();
      if (code !== 0) console.log(`agent ${a.socket} exited with ${code}`);
    }
    rmSync(tmp, { recursive: true, force: true });
  }
}

if (process.argv[2] === '--inner') await inner(JSON.parse(process.argv[3] ?? '{}') as Ctx);
else await outer();
