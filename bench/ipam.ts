// Issue 3: IPAM allocation throughput and latency with 1, 8 and 64 concurrent clients on a /16 pool,
// trunkline-ipam (through the node agent, and as a plain Node process without it) against the reference
// host-local (which serializes every allocation on a file lock), all in one run.
//   node --import tsx bench/ipam.ts          (after `node scripts/build.mjs`)
// Each of BENCH_REPS (≥3) repetitions runs every level with the sides in a fresh random order; figures
// are the median over repetitions with min–max. Failed calls are counted and kept out of the latencies.
// Sizes: BENCH_OPS (512 ADDs per level, then as many DELs), BENCH_FALLBACK_OPS (128), BENCH_REPS (3).
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Failures, machine, percentile, runPlugin, shuffled, spread, startBenchAgent } from './lib.js';

const here = dirname(fileURLToPath(import.meta.url));
const ROOT = here.includes('/build/') ? join(here, '..', '..') : join(here, '..');
const OPS = Number(process.env['BENCH_OPS'] ?? 512);
const FALLBACK_OPS = Number(process.env['BENCH_FALLBACK_OPS'] ?? 128);
const LEVELS = [1, 8, 64];
const REPS = Math.max(3, Number(process.env['BENCH_REPS'] ?? 3));
const failures = new Failures();
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
        const r = await runPlugin(side.file, env(i, command), stdin);
        if (r.code !== 0) failures.add(side.label, `${command}: ${r.stdout.trim().slice(0, 160)}`);
        else lat.push(r.ms);
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
  const agent = await startBenchAgent(join(ROOT, 'dist', 'agent', 'agent.js'), socket);
  try {
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
    console.log(`machine: ${machine()}`);
    console.log(
      `IPAM on a /16: ${OPS} ADDs then ${OPS} DELs per level (fallback path: ${FALLBACK_OPS}); each call a process, as a runtime makes it; ${REPS} repetitions, median (min–max)`,
    );
    type Fig = { addRate: number[]; addP50: number[]; addP99: number[]; delRate: number[]; delP50: number[] };
    const figs = new Map<string, Fig>();
    for (let rep = 0; rep < REPS; rep++) {
      for (const c of LEVELS) {
        for (const s of shuffled(sides)) {
          const tag = `${s.label.split(' ')[0]}${s.label.includes('no agent') ? 'f' : ''}-${c}-${rep}`;
          const r = await level(s, c, tag);
          const key = `${s.label}|${c}`;
          const f = figs.get(key) ?? { addRate: [], addP50: [], addP99: [], delRate: [], delP50: [] };
          f.addRate.push((r.add.lat.length / r.add.wall) * 1000);
          f.addP50.push(percentile(r.add.lat, 50));
          f.addP99.push(percentile(r.add.lat, 99));
          f.delRate.push((r.del.lat.length / r.del.wall) * 1000);
          f.delP50.push(percentile(r.del.lat, 50));
          figs.set(key, f);
        }
      }
    }
    console.log(
      'side                        clients  ADD/s              ADD p50            ADD p99            DEL/s              DEL p50',
    );
    for (const c of LEVELS) {
      for (const s of sides) {
        const f = figs.get(`${s.label}|${c}`)!;
        console.log(
          `${s.label.padEnd(27)} ${String(c).padStart(7)}  ${spread(f.addRate, 0).padEnd(17)}  ${spread(f.addP50).padEnd(17)}  ${spread(f.addP99).padEnd(17)}  ${spread(f.delRate, 0).padEnd(17)}  ${spread(f.delP50)}`,
        );
      }
    }
    const ratio = (c: number) => {
      const ag = figs.get(`trunkline-ipam (agent)|${c}`)!.addRate;
      const ref = figs.get(`host-local (Go, process)|${c}`)!.addRate;
      return `${c} clients ${spread(
        ag.map((x, i) => x / ref[i]!),
        2,
      )}`;
    };
    console.log(
      `throughput ratio trunkline(agent)/host-local per repetition: ${LEVELS.map(ratio).join(', ')}`,
    );
    console.log(failures.report());
  } finally {
    await agent.stop();
    rmSync(tmp, { recursive: true, force: true });
  }
}

await main();
