// Store faults, Kubernetes (issue 16): a burst of ADDs on two "hosts" against the test API server
// while it answers a seeded share of requests with 409 Conflict or 500, delays others and drops
// connections. Invariants (burst.ts): no duplicates, every success held, every failure a CNI error,
// nothing hung, nothing left after DEL. Sizes: TRUNKLINE_CHAOS_PODS (default 8) containers per host;
// TRUNKLINE_CHAOS_SEED replays a run (printed).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { KubernetesSource } from '../../src/cluster/kubernetes/source.js';
import type { SpiderIPPool } from '../../src/cluster/types.js';
import { KubernetesStore } from '../../src/store/kubernetes/index.js';
import { envInt } from '../helpers/chaos.js';
import { startKubeApiServer } from '../kube-apiserver/server.js';
import { burst, settle, summary } from './burst.js';
import { injectPoolFaults } from './kube-inject.js';

const PODS = envInt('TRUNKLINE_CHAOS_PODS', 8);
const SEED = envInt('TRUNKLINE_CHAOS_SEED', Date.now() % 1_000_000);
const POOL: SpiderIPPool = {
  metadata: { name: 'chaos-k8s' },
  spec: { ipVersion: 4, subnet: '10.71.0.0/24', ips: ['10.71.0.10-10.71.0.200'] },
};

describe('store faults: Kubernetes API answering 409, 500, slowly, or not at all', {
  timeout: 300_000,
}, () => {
  it(`2 hosts x ${PODS} concurrent ADDs under injected API faults`, async (t) => {
    t.diagnostic(`seed ${SEED} (TRUNKLINE_CHAOS_SEED), 2 hosts x ${PODS} pods (TRUNKLINE_CHAOS_PODS)`);
    const api = await startKubeApiServer();
    try {
      api.seed([
        {
          apiVersion: 'spiderpool.spidernet.io/v2beta1',
          kind: 'SpiderIPPool',
          metadata: { name: POOL.metadata.name },
          spec: { ...POOL.spec },
        },
      ]);
      const { injected, total, off } = injectPoolFaults(api, SEED);
      const hosts = [0, 1].map(
        () =>
          new KubernetesStore(new KubernetesSource({ kubeconfig: api.kubeconfigPath }), {
            backoffMs: 5,
          }),
      );
      const opts = (i: number) => ({
        store: hosts[i]!,
        pool: POOL,
        containers: PODS,
        attempts: 6,
        deadlineMs: 60_000,
        backoffMs: 20,
        what: `seed ${SEED} host ${i}`,
        idPrefix: `h${i}-`,
      });
      const outs = await Promise.all([burst(opts(0)), burst(opts(1))]);
      off();
      const all = new Map([...outs[0]!.ok, ...outs[1]!.ok]);
      for (const [i, out] of outs.entries()) {
        t.diagnostic(`host ${i}: ${summary(out)}`);
        await settle(opts(i), out, all);
      }
      assert.deepEqual(await hosts[0]!.list(), [], `seed ${SEED}: allocations left`);
      const faults = total();
      t.diagnostic(
        `kubernetes faults: ${faults} injected ${JSON.stringify(injected)}, ${all.size} allocations succeeded, 0 duplicates, 0 left`,
      );
    } finally {
      await api.stop();
    }
  });
});
