// Pool deletion protection: the controller puts Spiderpool's finalizer on every pool; deleting a pool
// that still has allocations leaves it terminating (and still holding its map), releasing the last
// allocation lets the deletion finish; an empty pool goes at once.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadClients } from '../../src/cluster/kubernetes/client.js';
import { KubernetesSource } from '../../src/cluster/kubernetes/source.js';
import { reconcileFinalizers } from '../../src/controller/pool-finalizer.js';
import { POOL_FINALIZER } from '../../src/ipam/finalizer.js';
import { KubernetesStore } from '../../src/store/kubernetes/index.js';
import { startKubeApiServer } from '../kube-apiserver/server.js';
import { holder, pool, range } from '../store/contract.js';
import { asController, denied } from './identity.js';

const API = 'spiderpool.spidernet.io/v2beta1';

describe('pool deletion protection', () => {
  it('keeps a pool with allocations; lets it go after the last release', async () => {
    const api = await startKubeApiServer();
    try {
      for (const name of ['used', 'empty'])
        api.seed([
          {
            apiVersion: API,
            kind: 'SpiderIPPool',
            metadata: { name },
            spec: { ipVersion: 4, subnet: '10.40.0.0/24' },
          },
        ]);
      const clients = await loadClients(asController(api));
      const leader = () => true;
      assert.deepEqual((await reconcileFinalizers(clients, leader)).added.sort(), ['empty', 'used']);
      assert.deepEqual(await reconcileFinalizers(clients, leader), { added: [], removed: [] });
      const get = (name: string) => api.get(API, 'SpiderIPPool', undefined, name);
      assert.deepEqual(get('used')?.metadata?.finalizers, [POOL_FINALIZER]);
      const store = new KubernetesStore(new KubernetesSource({ kubeconfig: api.kubeconfigPath }));
      assert.ok(
        (
          await store.allocate(holder('c1'), [
            { family: 4, candidates: [pool('used', 4, range('10.40.0.1', '10.40.0.9'))] },
          ])
        ).ok,
      );
      api.delete(API, 'SpiderIPPool', undefined, 'used');
      api.delete(API, 'SpiderIPPool', undefined, 'empty');
      assert.deepEqual(await reconcileFinalizers(clients, leader), { added: [], removed: ['empty'] });
      assert.equal(get('empty'), undefined);
      const used = get('used');
      assert.ok(used?.metadata?.deletionTimestamp, 'terminating, not gone');
      assert.equal(((used?.status ?? {}) as { allocatedIPCount?: number }).allocatedIPCount, 1);
      // Not the leader: no write, even though the pool is now releasable.
      assert.equal((await store.release({ containerId: 'c1', ifname: 'eth0' })).length, 1);
      await assert.rejects(
        reconcileFinalizers(clients, () => false),
        /does not hold a valid lease/,
      );
      assert.ok(get('used'));
      assert.deepEqual(await reconcileFinalizers(clients, leader), { added: [], removed: ['used'] });
      assert.equal(get('used'), undefined);
      assert.deepEqual(denied(api), []);
    } finally {
      await api.stop();
    }
  });
});
