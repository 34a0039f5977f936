// Two "nodes" (two KubernetesSource instances, each with its own client) allocate from one
// SpiderIPPool through the test API server at the same time. Optimistic concurrency on the pool's
// status (resourceVersion + retry on 409) must yield no duplicates and a consistent status.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { KubernetesSource } from '../../../src/cluster/kubernetes/source.js';
import type { SpiderIPPool } from '../../../src/cluster/types.js';
import { type KubeApiServer, startKubeApiServer } from '../../kube-apiserver/server.js';

let api: KubeApiServer;
const POOL = 'vlan100-v4';
const CANDIDATES = Array.from({ length: 30 }, (_, i) => `10.100.0.${10 + i}`);

before(async () => {
  api = await startKubeApiServer();
  api.seed([
    {
      apiVersion: 'spiderpool.spidernet.io/v2beta1',
      kind: 'SpiderIPPool',
      metadata: { name: POOL },
      spec: { ipVersion: 4, subnet: '10.100.0.0/24', ips: ['10.100.0.10-10.100.0.39'] },
      status: { allocatedIPs: '{}', allocatedIPCount: 0, totalIPCount: 30 },
    },
  ]);
});
after(async () => api.stop());

/** The simplest correct allocator on top of the source: read, pick, conditional write, retry. */
async function allocate(src: KubernetesSource, pod: string, conflicts: { n: number }): Promise<string> {
  for (;;) {
    const pool = (await src.getIPPool(POOL)) as SpiderIPPool;
    const taken = JSON.parse(pool.status?.allocatedIPs ?? '{}') as Record<string, { pod: string }>;
    const free = CANDIDATES.find((ip) => taken[ip] === undefined);
    if (free === undefined) throw new Error('pool exhausted');
    taken[free] = { pod };
    const next = {
      ...pool,
      status: {
        ...pool.status,
        allocatedIPs: JSON.stringify(taken),
        allocatedIPCount: Object.keys(taken).length,
      },
    };
    const r = await src.updateIPPoolStatus(next);
    if (r !== 'conflict' && r !== 'unknown') return free;
    conflicts.n++;
  }
}

test('two nodes allocating concurrently from one pool: no duplicates, status consistent', async () => {
  const nodes = [
    new KubernetesSource({ kubeconfig: api.kubeconfigPath }),
    new KubernetesSource({ kubeconfig: api.kubeconfigPath }),
  ];
  const conflicts = { n: 0 };
  const jobs = Array.from({ length: 20 }, (_, i) => allocate(nodes[i % 2]!, `default/pod-${i}`, conflicts));
  const got = await Promise.all(jobs);
  assert.equal(new Set(got).size, 20, `duplicates in ${got.join(',')}`);
  const pool = api.get('spiderpool.spidernet.io/v2beta1', 'SpiderIPPool', undefined, POOL)!;
  const status = pool.status as { allocatedIPs: string; allocatedIPCount: number };
  const held = JSON.parse(status.allocatedIPs) as Record<string, { pod: string }>;
  assert.equal(status.allocatedIPCount, 20);
  assert.deepEqual(Object.keys(held).sort(), [...got].sort());
  assert.deepEqual(
    Object.values(held)
      .map((h) => h.pod)
      .sort(),
    Array.from({ length: 20 }, (_, i) => `default/pod-${i}`).sort(),
  );
  assert.ok(conflicts.n > 0, 'the race was real: some writes hit a 409 and were retried');
});
