// The watch-backed Kubernetes source against the test API server: what it serves without a request,
// when it falls back to the API, and how its watches survive 410 Gone and failures.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CachedKubernetesSource } from '../../../src/cluster/kubernetes/cached.js';
import { PodUidMismatchError } from '../../../src/cluster/pod.js';
import { type KubeApiServer, type RequestInfo, startKubeApiServer } from '../../kube-apiserver/server.js';
import { OBJECTS, WEB_UID } from '../contract.js';

const POOLS = 'spiderpool.spidernet.io/v2beta1';
let api: KubeApiServer;
const sources: CachedKubernetesSource[] = [];

before(async () => {
  api = await startKubeApiServer();
  api.seed(OBJECTS);
  api.seed([
    {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'elsewhere', namespace: 'team-a' },
      spec: { nodeName: 'node-b', containers: [{ name: 'c', image: 'i' }] },
    },
  ]);
});
after(async () => {
  for (const s of sources) await s.stop();
  await api.stop();
});

async function synced(opts: { watchTimeoutSeconds?: number } = {}): Promise<CachedKubernetesSource> {
  const s = new CachedKubernetesSource({
    kubeconfig: api.kubeconfigPath,
    nodeName: 'node-a',
    informer: { backoffMs: 20, maxBackoffMs: 100, ...opts },
  });
  sources.push(s);
  s.start();
  await s.whenSynced();
  return s;
}

/** Requests other than watches made while `fn` runs. */
async function requestsDuring(fn: () => Promise<unknown>): Promise<RequestInfo[]> {
  const from = api.requests.length;
  await fn();
  return api.requests.slice(from).filter((r) => r.verb !== 'watch');
}

const describeReq = (r: RequestInfo) => `${r.verb} ${r.plural}${r.name ? `/${r.name}` : ''}`;

async function until(what: string, ok: () => boolean | Promise<boolean>): Promise<void> {
  for (let i = 0; i < 400; i++) {
    if (await ok()) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  assert.fail(`timed out waiting for ${what}`);
}

describe('CachedKubernetesSource', () => {
  it('serves pods of its node, namespaces, its node, NADs, pools and reserved IPs without a request', async () => {
    const s = await synced();
    const made = await requestsDuring(async () => {
      assert.equal((await s.getPod('team-a', 'web', { uid: WEB_UID }))?.metadata.uid, WEB_UID);
      assert.ok(await s.getNamespace('team-a'));
      assert.ok(await s.getNode('node-a'));
      assert.ok(await s.getNetworkAttachmentDefinition('kube-system', 'macvlan-vlan100'));
      assert.equal((await s.listIPPools()).length, 1);
      assert.equal((await s.listReservedIPs()).length, 1);
    });
    assert.deepEqual(made.map(describeReq), []);
    assert.deepEqual(
      s.syncState().map((c) => [c.what, c.synced]),
      [
        ['pods on node-a', true],
        ['node node-a', true],
        ['namespaces', true],
        ['NetworkAttachmentDefinitions', true],
        ['SpiderIPPools', true],
        ['SpiderReservedIPs', true],
      ],
    );
  });

  it('pods are watched with spec.nodeName=<node>; a pod of another node is a GET', async () => {
    const s = await synced();
    const watches = api.requests.filter((r) => r.verb === 'watch' && r.plural === 'pods');
    assert.ok(watches.length > 0);
    for (const w of watches) assert.equal(w.query.get('fieldSelector'), 'spec.nodeName=node-a');
    const made = await requestsDuring(async () => {
      assert.equal((await s.getPod('team-a', 'elsewhere'))?.nodeName, 'node-b');
    });
    assert.deepEqual(made.map(describeReq), ['get pods/elsewhere']);
  });

  it('the pool being allocated from is read fresh, and the write lands in the cache at once', async () => {
    const s = await synced();
    const made = await requestsDuring(async () => {
      const pool = await s.getIPPool('vlan100-v4');
      assert.ok(pool);
      const r = await s.updateIPPoolStatus({
        ...pool,
        status: { allocatedIPs: '{"10.100.0.10":{"pod":"team-a/web"}}', allocatedIPCount: 1 },
      });
      assert.notEqual(r, 'conflict');
      // No wait for the watch: the answer of our own write is what the next ADD lists.
      assert.equal((await s.listIPPools())[0]?.status?.allocatedIPCount, 1);
    });
    assert.deepEqual(made.map(describeReq), [
      'get spiderippools/vlan100-v4',
      'update spiderippools/vlan100-v4',
    ]);
  });

  it('follows changes through its watches: created, modified and deleted objects', async () => {
    const s = await synced();
    api.seed([
      {
        apiVersion: 'k8s.cni.cncf.io/v1',
        kind: 'NetworkAttachmentDefinition',
        metadata: { name: 'late', namespace: 'team-a' },
        spec: { config: '{"type":"x"}' },
      },
    ]);
    const pool = api.get(POOLS, 'SpiderIPPool', undefined, 'vlan100-v4')!;
    api.update({ ...pool, spec: { ...(pool.spec as object), gateway: '10.100.0.254' } });
    api.delete(POOLS, 'SpiderReservedIP', undefined, 'keep-out');
    await until('the watches to deliver', async () => {
      const pools = await s.listIPPools();
      return (await s.listReservedIPs()).length === 0 && pools[0]?.spec.gateway === '10.100.0.254';
    });
    const made = await requestsDuring(() => s.getNetworkAttachmentDefinition('team-a', 'late'));
    assert.deepEqual(made.map(describeReq), []);
    api.seed([OBJECTS.find((o) => o.kind === 'SpiderReservedIP')!]);
  });

  it('a miss (a pod created a moment ago) falls back to a GET', async () => {
    const s = await synced();
    await s.stop(); // freeze the cache: the new pod cannot arrive through the watch
    api.seed([
      {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'new', namespace: 'team-a', uid: 'uid-new' },
        spec: { nodeName: 'node-a', containers: [{ name: 'c', image: 'i' }] },
      },
    ]);
    const made = await requestsDuring(async () => {
      assert.equal((await s.getPod('team-a', 'new', { uid: 'uid-new' }))?.metadata.uid, 'uid-new');
    });
    assert.deepEqual(made.map(describeReq), ['get pods/new']);
  });

  it('a cached pod with another UID is re-read before the ADD is refused (quick delete + re-create)', async () => {
    const s = await synced();
    await s.stop(); // the cache keeps the previous incarnation
    api.delete('v1', 'Pod', 'team-a', 'web');
    const web = OBJECTS.find((o) => o.metadata?.name === 'web')!;
    api.seed([{ ...web, metadata: { ...web.metadata, uid: 'uid-web-2' } }]);
    const made = await requestsDuring(async () => {
      assert.equal((await s.getPod('team-a', 'web', { uid: 'uid-web-2' }))?.metadata.uid, 'uid-web-2');
      await assert.rejects(s.getPod('team-a', 'web', { uid: 'uid-web-3' }), PodUidMismatchError);
    });
    assert.deepEqual(made.map(describeReq), ['get pods/web', 'get pods/web']);
    api.delete('v1', 'Pod', 'team-a', 'web');
    api.seed([web]);
  });

  it('410 Gone on a watch: LIST again, then keep watching', async () => {
    let gone = 0;
    const remove = api.before((r) => {
      if (r.verb === 'watch' && r.plural === 'spiderippools' && gone === 0) {
        gone++;
        return { fail: { code: 410, reason: 'Expired', message: 'too old resource version' } };
      }
      return undefined;
    });
    try {
      const from = api.requests.length;
      const s = await synced();
      await until('the pool watch to be re-established', () =>
        api.requests
          .slice(from)
          .some((r) => r.verb === 'watch' && r.plural === 'spiderippools' && r.code === 200),
      );
      const lists = api.requests.slice(from).filter((r) => r.verb === 'list' && r.plural === 'spiderippools');
      assert.equal(lists.length, 2, 'the initial LIST and one after 410');
      const pool = api.get(POOLS, 'SpiderIPPool', undefined, 'vlan100-v4')!;
      api.update({ ...pool, metadata: { ...pool.metadata, labels: { after: '410' } } });
      await until(
        'the change after 410',
        async () => (await s.listIPPools())[0]?.metadata.labels?.['after'] === '410',
      );
    } finally {
      remove();
    }
  });

  it('failed watches reconnect with backoff and resume from the last resourceVersion, without a LIST', async () => {
    let failures = 0;
    const remove = api.before((r) => {
      if (r.verb === 'watch' && r.plural === 'namespaces' && failures < 3) {
        failures++;
        return { fail: { code: 500, message: 'etcd unavailable' } };
      }
      return undefined;
    });
    try {
      const from = api.requests.length;
      const s = await synced();
      api.seed([{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'later' } }]);
      await until('the namespace created after the failures', async () => {
        const seen = (await requestsDuring(() => s.getNamespace('later'))).length === 0;
        return seen && (await s.getNamespace('later')) !== undefined;
      });
      const mine = api.requests.slice(from).filter((r) => r.plural === 'namespaces');
      assert.equal(mine.filter((r) => r.verb === 'list').length, 1, 'no re-LIST after plain failures');
      const watches = mine.filter((r) => r.verb === 'watch');
      assert.ok(watches.length >= 4, `three failed watches and a good one, saw ${watches.length}`);
      const rvs = new Set(watches.slice(0, 4).map((w) => w.query.get('resourceVersion')));
      assert.equal(rvs.size, 1, 'every retry resumes from the listed resourceVersion');
      assert.deepEqual(s.syncState().find((c) => c.what === 'namespaces')?.error, undefined);
    } finally {
      remove();
    }
  });

  it('a watch the server ends is resumed from its resourceVersion, not re-listed', async () => {
    const from = api.requests.length;
    const s = await synced({ watchTimeoutSeconds: 1 });
    await until(
      'a second watch on NADs',
      () =>
        api.requests
          .slice(from)
          .filter((r) => r.verb === 'watch' && r.plural === 'network-attachment-definitions').length >= 2,
    );
    const lists = api.requests
      .slice(from)
      .filter((r) => r.verb === 'list' && r.plural === 'network-attachment-definitions');
    assert.equal(lists.length, 1);
    assert.ok(await s.getNetworkAttachmentDefinition('kube-system', 'empty'));
  });

  it('reports caches that cannot list as not synced, with the reason; reads then go to the API', async () => {
    const remove = api.before((r) =>
      r.verb === 'list' && r.plural === 'spiderreservedips'
        ? { fail: { code: 403, message: 'forbidden here' } }
        : undefined,
    );
    const s = new CachedKubernetesSource({
      kubeconfig: api.kubeconfigPath,
      nodeName: 'node-a',
      informer: { backoffMs: 20, maxBackoffMs: 50 },
    });
    sources.push(s);
    try {
      s.start();
      await until('the failed LIST', () => s.syncState().some((c) => c.error !== undefined));
      const reserved = s.syncState().find((c) => c.what === 'SpiderReservedIPs');
      assert.equal(reserved?.synced, false);
      assert.match(reserved?.error ?? '', /403|Forbidden|forbidden/);
      await assert.rejects(s.listReservedIPs(), /refused listing SpiderReservedIPs \(HTTP 403\)/);
    } finally {
      remove();
    }
    await s.whenSynced();
    assert.ok(s.syncState().every((c) => c.synced));
  });
});
