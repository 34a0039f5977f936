// Shared benchmark plumbing: a scene in namespaces, timing, statistics. Both sides of a comparison
// run in the same process, same scene, same run.
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';

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

/** Runs a plugin inside `netnsPath` (the harness's host namespace) and times it. */
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
    child.stdin.end(stdin);
  });
}

export function percentile(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  if (s.length === 0) return Number.NaN;
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
}

export const fmt = (n: number) => n.toFixed(1);
