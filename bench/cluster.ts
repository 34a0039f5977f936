// Issue 15: a simulated cluster of N nodes (network namespaces, one agent each) on the test API server
// with injected latency, pods attached in Deployment-like waves, allocation mechanisms compared in one
// run under the same load.    node --import tsx bench/cluster.ts   (root; after node scripts/build.mjs)
// Sizes: BENCH_NODES (10), BENCH_PODS (1000), BENCH_REPS (3), BENCH_LATENCY_MS (2; "2,10" runs both),
// BENCH_POOLS (exact,16,8), BENCH_MECHANISMS (per-allocation,batched,etcd). BENCH_JSON=1 prints JSON.
// Per scenario: wall time to all-attached, ADD p50/p99, API requests per pod by verb (the agents'
// service account only), 409s, kubelet retries, retries exhausted, duplicates, exact store record.
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { addNetns, delNetns } from './cluster/netns.js';
import {
  type Mechanism,
  type PoolSpec,
  percentile,
  runScenario,
  type ScenarioResult,
} from './cluster/scenario.js';
import { startWorld } from './cluster/world.js';

const env = (k: string, d: string) => process.env[k] || d;
const NODES = Number(env('BENCH_NODES', '10'));
const PODS = Number(env('BENCH_PODS', '1000'));
const REPS = Number(env('BENCH_REPS', '3'));
const LATENCIES = env('BENCH_LATENCY_MS', '2').split(',').map(Number);
const MECHS = env('BENCH_MECHANISMS', 'per-allocation,batched,etcd').split(',') as Mechanism[];
delete process.env['NODE_EXTRA_CA_CERTS'];

/** IPs = pods (Spiderpool's hard case), a /16, a /8: the allocation cost must not follow the pool size. */
function pools(pods: number): Record<string, PoolSpec> {
  const last = pods; // 172.20.0.1 .. the pods-th address
  const end = `172.20.${Math.floor(last / 256)}.${last % 256}`;
  return {
    exact: { label: `exact ${pods}`, subnet: '172.20.0.0/16', ips: [`172.20.0.1-${end}`] },
    // A pool hands out only what spec.ips lists (Spiderpool): the whole subnet here.
    '16': { label: '/16', subnet: '172.21.0.0/16', ips: ['172.21.0.1-172.21.255.254'] },
    '8': { label: '/8', subnet: '10.0.0.0/8', ips: ['10.0.0.1-10.255.255.254'] },
  };
}
const POOLS = env('BENCH_POOLS', 'exact,16,8').split(',');

interface Row {
  mechanism: Mechanism;
  pool: string;
  latencyMs: number;
  runs: ScenarioResult[];
}

const med = (xs: number[]) => percentile(xs, 50);
const spread = (xs: number[]) => `${Math.round(Math.min(...xs))}–${Math.round(Math.max(...xs))}`;

function printRow(r: Row): void {
  const runs = r.runs;
  const walls = runs.map((x) => x.addWallMs);
  const sum = (f: (x: ScenarioResult) => number) => runs.reduce((n, x) => n + f(x), 0);
  const perPod = runs[Math.floor(runs.length / 2)]!.add;
  const delPerPod = runs[Math.floor(runs.length / 2)]!.del;
  const fmtVerbs = (p: Record<string, number>) =>
    Object.entries(p)
      .map(([k, v]) => `${k} ${v.toFixed(2)}`)
      .join(', ');
  const total = (p: Record<string, number>) => Object.values(p).reduce((a, b) => a + b, 0);
  console.log(
    `| ${r.mechanism} | ${r.pool} | ${r.latencyMs} | ${Math.round(med(walls))} (${spread(walls)}) | ` +
      `${Math.round(med(runs.map((x) => x.delWallMs)))} | ${Math.round(med(runs.map((x) => x.addP50)))} | ` +
      `${Math.round(med(runs.map((x) => x.addP99)))} | ${total(perPod.perPod).toFixed(2)} | ${total(delPerPod.perPod).toFixed(2)} | ` +
      `${sum((x) => x.add.poolConflicts + x.del.poolConflicts)} | ${sum((x) => x.kubeletRetries)} | ${sum((x) => x.exhausted)} | ` +
      `${sum((x) => x.duplicates)} | ${runs.every((x) => x.statusExactAfterAdd && x.statusEmptyAfterDel) ? 'yes' : 'NO'} |`,
  );
  console.log(`|   ADD requests/pod: ${fmtVerbs(perPod.perPod)}; DEL: ${fmtVerbs(delPerPod.perPod)}`);
  const err = runs.find((x) => x.firstError)?.firstError;
  if (err) console.log(`|   first error: ${err.replace(/\s+/g, ' ').slice(0, 240)}`);
}

async function main(): Promise<void> {
  const id = Math.random().toString(36).slice(2, 6);
  const prefix = `cluster${id}`;
  const podNetns = Array.from({ length: PODS }, (_, i) => `${prefix}p${i}`);
  const etcd = MECHS.includes('etcd');
  console.log(
    `# cluster simulation ${new Date().toISOString()}: ${NODES} nodes, ${PODS} pods, ${REPS} reps, ` +
      `latency ${LATENCIES.join('/')} ms ±50 %, ${cpus().length}x ${cpus()[0]?.model ?? '?'}, Node ${process.version}, ` +
      `load average at start ${loadavg()
        .map((x) => x.toFixed(1))
        .join(' ')}`,
  );
  const rows: Row[] = [];
  let world: Awaited<ReturnType<typeof startWorld>> | undefined;
  // Whatever ends the run — its end, Ctrl-C, a kill, an exception thrown from a callback — removes the
  // thousand pod namespaces, the nodes' namespaces, agents and etcd, once.
  let cleaned: Promise<void> | undefined;
  const cleanup = () =>
    (cleaned ??= (async () => {
      try {
        await world?.stop();
      } finally {
        delNetns(podNetns);
      }
    })());
  const die = (code: number, err?: unknown) => {
    if (err !== undefined) console.error(err);
    void cleanup()
      .catch((e: unknown) => console.error('cleanup failed:', e))
      .finally(() => process.exit(code));
  };
  process.once('SIGINT', () => die(130));
  process.once('SIGTERM', () => die(143));
  process.once('SIGHUP', () => die(129));
  process.once('uncaughtException', (e) => die(1, e));
  process.once('unhandledRejection', (e) => die(1, e));
  try {
    addNetns(podNetns);
    world = await startWorld({
      nodes: NODES,
      prefix,
      dir: join(tmpdir(), `${prefix}-dir`),
      etcd,
      starting: (w) => {
        world = w;
      },
    });
    // Agents as they run in a cluster: client loaded, caches synced (the first request starts them).
    await runScenario(world, {
      mechanism: MECHS[0]!,
      pool: pools(NODES)['exact']!,
      pods: NODES,
      latencyMs: 0,
      podNetns,
    });
    const specs = pools(PODS);
    for (const latencyMs of LATENCIES)
      for (const p of POOLS)
        for (const m of MECHS) rows.push({ mechanism: m, pool: specs[p]!.label, latencyMs, runs: [] });
    // Mechanisms interleaved within each repetition, so a change of machine load hits every side.
    for (let rep = 0; rep < REPS; rep++)
      for (const row of rows) {
        const pool = Object.values(pools(PODS)).find((s) => s.label === row.pool)!;
        const r = await runScenario(world, {
          mechanism: row.mechanism,
          pool,
          pods: PODS,
          latencyMs: row.latencyMs,
          podNetns,
        });
        row.runs.push(r);
        if (process.env['BENCH_JSON']) console.log(JSON.stringify({ ...row, runs: undefined, result: r }));
        else
          console.log(
            `# rep ${rep + 1} ${row.mechanism} ${row.pool} ${row.latencyMs} ms: ADD wall ${Math.round(r.addWallMs)} ms, ` +
              `CPU/pod ms: harness (API server) ${r.cpu.harness.toFixed(1)}, agents ${r.cpu.agents.toFixed(1)} ` +
              `(system ${r.cpu.agentsSystem.toFixed(1)}), ` +
              `kubelets+shims ${r.cpu.kubelets.toFixed(1)}, ip ${r.cpu.harnessChildren.toFixed(1)}; ` +
              `attached ${r.podsAttached}/${PODS}, 409s ${r.add.poolConflicts + r.del.poolConflicts}, ` +
              `kubelet retries ${r.kubeletRetries}, exhausted ${r.exhausted}, duplicates ${r.duplicates}, ` +
              `status exact ${r.statusExactAfterAdd && r.statusEmptyAfterDel ? 'yes' : 'NO'}, load ${loadavg()[0]!.toFixed(1)}`,
          );
        if (r.statusDiff) console.log(`#   status: ${r.statusDiff}`);
        if (r.firstError)
          console.log(`#   first ADD error: ${r.firstError.replace(/\s+/g, ' ').slice(0, 800)}`);
        if (r.firstDelError)
          console.log(
            `#   ${r.failedDels} failed DELs, first: ${r.firstDelError.replace(/\s+/g, ' ').slice(0, 800)}`,
          );
      }
  } finally {
    await cleanup();
  }
  console.log(
    `\n| mechanism | pool | API ms | ADD wall ms, median (min–max) | DEL wall ms | ADD p50 | ADD p99 | API req/pod ADD | API req/pod DEL | pool 409s | kubelet retries | retries exhausted | duplicates | status exact |`,
  );
  console.log(
    '| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |',
  );
  for (const r of rows) printRow(r);
  console.log(
    `# load average at end ${loadavg()
      .map((x) => x.toFixed(1))
      .join(' ')}`,
  );
}

await main();
