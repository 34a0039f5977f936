// Issue 3: IPAM allocation throughput and latency with 1, 8 and 64 concurrent clients on a /16 pool,
// trunkline-ipam (through the node agent, and as a plain Node process without it) against the reference
// host-local (which serializes every allocation on a file lock), all in one run.
//   node --import tsx bench/ipam.ts          (after `node scripts/build.mjs`)
// Sizes: BENCH_OPS (512 ADDs per level, then as many DELs), BENCH_FALLBACK_OPS (128).
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fmt, percentile, type RunResult, runPlugin } from './lib.js';

const here = dirname(fileURLToPath(import.meta.url));
const ROOT = here.includes('/build/') ? join(here, '..', '..') : join(here, '..');
const OPS = Number(process.env['BENCH_OPS'] ?? 512);
const FALLBACK_OPS = Number(process.env['BENCH_FALLBACK_OPS'] ?? 128);
const LEVELS = [1, 8, 64];
delete process.env['NODE_EXTRA_CA_CERTS'];

const tmp = mkdtempSync(join(tmpdir(), 'tl-bench-ipam-'));

interface Side {
  label: string;
  file: string;
  conf: (run: string) => string;
  env: Record<string, string>;
  ops: number;
}

function pool(): string {
  const dir = join(tmp, 'etc');
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    join(dir, 'pool.yaml'),
    'apiVersion: spiderpool.spidernet.io/v2beta1\nkind: SpiderIPPool\nmetadata: {name: bench-v4}\nspec: {ipVersion: 4, subnet: 10.60.0.0/16, ips: [10.60.0.2-10.60.255.254], gateway: 10.60.0.1, default: true}\n',
  );
  return dir;
}

async function waitForSocket(path: string): Promise<void> {
  for (let i = 0; i < 400; i++) {
    const ok = await new Promise<boolean>((r) => {
      const c = connect(path);
      c.once('connect', () => {
        c.destroy();
        r(true);
      });
      c.once('error', () => r(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error('the agent did not start');
}

async function level(side: Side, c: number, run: string) {
  const stdin = side.conf(run);
  const env = (i: number, command: string) => ({
    ...side.env,
    CNI_COMMAND: command,
    CNI_CONTAINERID: `${run}-${i}`,
    CNI_NETNS: '/var/run/netns/none',
    CNI_IFNAME: 'eth0',
    CNI_PATH: join(ROOT, 'dist', 'cni'),
  });
  const phase = async (command: string) => {
    const lat: number[] = [];
    let next = 0;
    const t0 = performance.now();
    const worker = async () => {
      for (;;) {
        const i = next++;
        if (i >= side.ops) return;
        const r: RunResult = await runPlugin(side.file, env(i, command), stdin);
        if (r.code !== 0) throw new Error(`${side.label} ${command} failed: ${r.stdout}`);
        lat.push(r.ms);
      }
    };
    await Promise.all(Array.from({ length: c }, worker));
    return { wall: performance.now() - t0, lat };
  };
  const add = await phase('ADD');
  const del = await phase('DEL');
  return { add, del };
}

async function main() {
  const manifestDir = pool();
  const socket = join(tmp, 'agent.sock');
  const agent = spawn(
    process.execPath,
    [join(ROOT, 'dist', 'agent', 'agent.js'), '--socket', socket, '--metrics-port', 'off'],
    { stdio: ['ignore', 'inherit', 'inherit'], env: { ...process.env, TRUNKLINE_LOG_LEVEL: 'warn' } },
  );
  try {
    await waitForSocket(socket);
    const ours = (run: string) =>
      JSON.stringify({
        cniVersion: '1.0.0',
        name: `bench-${run}`,
        type: 'x',
        ipam: {
          type: 'trunkline-ipam',
          manifestDir,
          stateDir: join(tmp, 'state'),
          store: { type: 'sqlite', path: join(tmp, `ipam-${run}.db`) },
          nodeName: 'bench',
        },
      });
    const sides: Side[] = [
      {
        label: 'host-local (Go, process)',
        file: '/usr/lib/cni/host-local',
        ops: OPS,
        env: {},
        conf: (run) =>
          JSON.stringify({
            cniVersion: '1.0.0',
            name: `bench-${run}`,
            type: 'x',
            ipam: {
              type: 'host-local',
              dataDir: join(tmp, `hl-${run}`),
              ranges: [[{ subnet: '10.60.0.0/16' }]],
            },
          }),
      },
      {
        label: 'trunkline-ipam (agent)',
        file: join(ROOT, 'dist', 'cni', 'trunkline-ipam'),
        ops: OPS,
        env: { TRUNKLINE_AGENT_SOCK: socket },
        conf: ours,
      },
      {
        label: 'trunkline-ipam (no agent)',
        file: join(ROOT, 'dist', 'cni', 'trunkline-ipam'),
        ops: FALLBACK_OPS,
        env: { TRUNKLINE_AGENT_SOCK: join(tmp, 'none.sock') },
        conf: ours,
      },
    ];
    console.log(
      `IPAM on a /16: ${OPS} ADDs then ${OPS} DELs per level (fallback path: ${FALLBACK_OPS}); each call a process, as a runtime makes it`,
    );
    console.log('side                        clients  ADD/s   ADD p50  ADD p99  DEL/s   DEL p50');
    const tput: Record<string, Record<number, number>> = {};
    for (const c of LEVELS) {
      for (const s of sides) {
        const r = await level(
          s,
          c,
          `${s.label.split(' ')[0]}${s.label.includes('no agent') ? 'f' : ''}-${c}`,
        );
        const addRate = (s.ops / r.add.wall) * 1000;
        const row = tput[s.label] ?? {};
        row[c] = addRate;
        tput[s.label] = row;
        console.log(
          `${s.label.padEnd(27)} ${String(c).padStart(7)}  ${addRate.toFixed(0).padStart(5)}  ${fmt(percentile(r.add.lat, 50)).padStart(7)}  ${fmt(percentile(r.add.lat, 99)).padStart(7)}  ${((s.ops / r.del.wall) * 1000).toFixed(0).padStart(5)}  ${fmt(percentile(r.del.lat, 50)).padStart(7)}`,
        );
      }
    }
    const ref = tput['host-local (Go, process)']!;
    const ag = tput['trunkline-ipam (agent)']!;
    console.log(
      `throughput ratio trunkline(agent)/host-local: ${LEVELS.map((c) => `${c} clients ${(ag[c]! / ref[c]!).toFixed(2)}`).join(', ')}`,
    );
  } finally {
    agent.kill('SIGTERM');
    await new Promise((r) => agent.once('exit', r));
    rmSync(tmp, { recursive: true, force: true });
  }
}

await main();
