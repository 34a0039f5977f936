// Issue 12: IP GC full-scan time for 10,000 allocations across 100 SpiderIPPools (Kubernetes store)
// against the test API server, through the real client library:
//   - "no-op": every pod alive (the steady state: list pods/nodes/StatefulSets/VMs, read all pools,
//     decide, write nothing);
//   - "leak 10%": 1,000 pods gone without DEL, so 1,000 holders are released (a fresh pool read and
//     a resourceVersion-preconditioned status write each).
//   node --import tsx bench/gc.ts        Sizes: BENCH_POOLS (100), BENCH_PER_POOL (100), BENCH_REPS (3)
import { loadClients } from '../src/cluster/kubernetes/client.js';
import { KubernetesSource } from '../src/cluster/kubernetes/source.js';
import { kubeClusterView } from '../src/gc/kube-view.js';
import { collect } from '../src/gc/scan.js';
import { DEFAULT_POLICY } from '../src/gc/types.js';
import { KubernetesStore } from '../src/store/kubernetes/index.js';
import { startKubeApiServer } from '../test/kube-apiserver/server.js';
import { fmt, percentile } from './lib.js';

const POOLS = Number(process.env['BENCH_POOLS'] ?? 100);
const PER_POOL = Number(process.env['BENCH_PER_POOL'] ?? 100);
const REPS = Number(process.env['BENCH_REPS'] ?? 3);
const API = 'spiderpool.spidernet.io/v2beta1';
const OLD = '2026-01-01T00:00:00.000Z';

async function scenario(leakEvery: number): Promise<{ ms: number; released: number; scanned: number }> {
  const api = await startKubeApiServer();
  try {
    const objects: Record<string, unknown>[] = [
      {
        apiVersion: 'v1',
        kind: 'Node',
        metadata: { name: 'n1' },
        status: { conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: OLD }] },
      },
    ];
    let n = 0;
    for (let p = 0; p < POOLS; p++) {
      const map: Record<string, unknown> = {};
      for (let i = 0; i < PER_POOL; i++, n++) {
        const name = `pod-${n}`;
        map[`10.${p}.${Math.floor(i / 250)}.${(i % 250) + 1}`] = {
          pod: `default/${name}`,
          podUid: `u-${n}`,
          containerID: `c-${n}`,
          interface: 'eth0',
          family: 4,
          createdAt: OLD,
        };
        if (leakEvery === 0 || n % leakEvery !== 0)
          objects.push({
            apiVersion: 'v1',
            kind: 'Pod',
            metadata: { name, namespace: 'default', uid: `u-${n}` },
            spec: { nodeName: 'n1' },
            status: { phase: 'Running' },
          });
      }
      objects.push({
        apiVersion: API,
        kind: 'SpiderIPPool',
        metadata: { name: `pool-${p}` },
        spec: { ipVersion: 4, subnet: `10.${p}.0.0/16` },
        status: { allocatedIPs: JSON.stringify(map), allocatedIPCount: PER_POOL },
      });
    }
    api.seed(objects);
    const clients = await loadClients(api.kubeconfigPath);
    const store = new KubernetesStore(new KubernetesSource({ kubeconfig: api.kubeconfigPath }));
    const t0 = performance.now();
    const view = await kubeClusterView(clients);
    const r = await collect(store, view, DEFAULT_POLICY, Date.now());
    return { ms: performance.now() - t0, released: r.released.length, scanned: r.scanned };
  } finally {
    await api.stop();
  }
}

const results: Record<string, number[]> = { 'no-op': [], 'leak 10%': [] };
for (let rep = 0; rep < REPS; rep++) {
  // Interleaved: one of each per repetition.
  for (const [label, every] of [
    ['no-op', 0],
    ['leak 10%', 10],
  ] as const) {
    const r = await scenario(every);
    results[label]!.push(r.ms);
    process.stderr.write(
      `rep ${rep + 1} ${label}: ${fmt(r.ms)} ms, scanned ${r.scanned}, released ${r.released}\n`,
    );
  }
}
console.log(`GC full scan, ${POOLS * PER_POOL} allocations in ${POOLS} pools, ${REPS} repetitions (ms):`);
console.log('| scenario | median | min | max |');
console.log('| --- | ---: | ---: | ---: |');
for (const [label, xs] of Object.entries(results))
  console.log(
    `| ${label} | ${fmt(percentile(xs, 50))} | ${fmt(Math.min(...xs))} | ${fmt(Math.max(...xs))} |`,
  );
