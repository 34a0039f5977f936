// SQLite WAL checkpoints as a source of tail latency (issue 15): the same allocate+release load on the
// store with SQLite's automatic checkpoint (every 1,000 WAL pages, on the commit that crosses it) and
// with the agent's policy (bound raised to AGENT_WAL_PAGES, a PASSIVE checkpoint in the quiet moment
// after each burst, timed apart because no request waits for it). Sides interleaved per round.
//   node --import tsx bench/checkpoint.ts     # BENCH_ROUNDS=3 BENCH_BURSTS=60 BENCH_BURST_PODS=50
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AGENT_WAL_PAGES } from '../src/agent/checkpoint.js';
import { parseIp } from '../src/store/ip.js';
import { SqliteStore } from '../src/store/sqlite.js';
import { machine, percentile, shuffled, spread } from './lib.js';

const num = (k: string, d: number) => Number(process.env[k] ?? d);
const ROUNDS = Math.max(3, num('BENCH_ROUNDS', 3));
const BURSTS = num('BENCH_BURSTS', 60);
const PODS = num('BENCH_BURST_PODS', 50);
const lo = parseIp('10.9.0.10')!.value;
const candidates = [{ pool: 'p', family: 4 as const, intervals: [{ start: lo, end: lo + 4000n }] }];

interface Run {
  ops: number[];
  quiet: number[];
}

async function run(agentPolicy: boolean, dir: string): Promise<Run> {
  const store = new SqliteStore({
    path: join(dir, `${agentPolicy ? 'agent' : 'default'}.db`),
    ...(agentPolicy ? { walAutoCheckpoint: AGENT_WAL_PAGES } : {}),
  });
  await store.open();
  const ops: number[] = [];
  const quiet: number[] = [];
  const timed = async (fn: () => Promise<unknown>) => {
    const t0 = performance.now();
    await fn();
    ops.push(performance.now() - t0);
  };
  for (let b = 0; b < BURSTS; b++) {
    const ids = Array.from({ length: PODS }, (_, i) => `b${b}-${i}`);
    for (const id of ids) {
      await timed(() => store.allocate({ containerId: id, ifname: 'eth0' }, [{ family: 4, candidates }]));
    }
    for (const id of ids) await timed(() => store.release({ containerId: id, ifname: 'eth0' }));
    if (agentPolicy) {
      const t0 = performance.now();
      store.checkpoint();
      quiet.push(performance.now() - t0);
    }
  }
  await store.close();
  return { ops, quiet };
}

console.log(`machine: ${machine()}`);
console.log(
  `${ROUNDS} rounds × ${BURSTS} bursts of ${PODS} allocations then ${PODS} releases per side, sides in random order per round\n`,
);
const sides = [
  { label: 'SQLite default (checkpoint on the commit)', agent: false },
  { label: `agent (bound ${AGENT_WAL_PAGES} pages, quiet checkpoint)`, agent: true },
];
const results = new Map<string, Run[]>(sides.map((s) => [s.label, []]));
for (let r = 0; r < ROUNDS; r++) {
  const dir = mkdtempSync(join(tmpdir(), 'tl-ckpt-'));
  try {
    for (const s of shuffled(sides)) results.get(s.label)!.push(await run(s.agent, dir));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
console.log('store call (ms), median over rounds (min–max):');
for (const s of sides) {
  const rs = results.get(s.label)!;
  const at = (p: number) =>
    spread(
      rs.map((x) => percentile(x.ops, p)),
      2,
    );
  const max = spread(
    rs.map((x) => Math.max(...x.ops)),
    1,
  );
  const over5 = spread(
    rs.map((x) => x.ops.filter((v) => v > 5).length),
    0,
  );
  console.log(
    `  ${s.label}: p50 ${at(50)}, p99 ${at(99)}, p99.9 ${at(99.9)}, max ${max}, calls over 5 ms ${over5}`,
  );
  if (s.agent) {
    const q = rs.flatMap((x) => x.quiet);
    console.log(
      `    quiet-moment checkpoint, off the request path: p50 ${percentile(q, 50).toFixed(2)}, max ${Math.max(...q).toFixed(1)} ms`,
    );
  }
}
