// KubernetesSource against the test API server, through the real client library.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { KubernetesSource } from '../../../src/cluster/kubernetes/source.js';
import { CniError } from '../../../src/cni/errors.js';
import { type KubeApiServer, startKubeApiServer } from '../../kube-apiserver/server.js';

let api: KubeApiServer;
let src: KubernetesSource;

const STATUS = 'k8s.v1.cni.cncf.io/network-status';

before(async () => {
  api = await startKubeApiServer();
  api.seed([
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'team-a', labels: { env: 'prod' } } },
    { apiVersion: 'v1', kind: 'Node', metadata: { name: 'node-a', labels: { zone: 'z1' } } },
    {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        name: 'web',
        namespace: 'team-a',
        uid: '11111111-2222-3333-4444-555555555555',
        labels: { app: 'web' },
        annotations: { 'k8s.v1.cni.cncf.io/networks': 'kube-system/macvlan-vlan100' },
      },
      spec: { nodeName: 'node-a', containers: [{ name: 'c', image: 'i' }] },
    },
    {
      apiVersion: 'k8s.cni.cncf.io/v1',
      kind: 'NetworkAttachmentDefinition',
      metadata: {
        name: 'macvlan-vlan100',
        namespace: 'kube-system',
        annotations: { 'trunkline.io/network-mode': 'overlay' },
      },
      spec: { config: '{"cniVersion":"1.0.0","type":"macvlan"}' },
    },
    {
      apiVersion: 'k8s.cni.cncf.io/v1',
      kind: 'NetworkAttachmentDefinition',
      metadata: { name: 'empty', namespace: 'kube-system' },
      spec: {},
    },
    {
      apiVersion: 'spiderpool.spidernet.io/v2beta1',
      kind: 'SpiderIPPool',
      metadata: { name: 'vlan100-v4' },
      spec: {
        ipVersion: 4,
        subnet: '10.100.0.0/24',
        ips: ['10.100.0.10-10.100.0.20'],
        gateway: '10.100.0.1',
      },
      status: { allocatedIPCount: 0, totalIPCount: 11 },
    },
    {
      apiVersion: 'spiderpool.spidernet.io/v2beta1',
      kind: 'SpiderReservedIP',
      metadata: { name: 'keep-out' },
      spec: { ipVersion: 4, ips: ['10.100.0.15'] },
    },
  ]);
  src = new KubernetesSource({ kubeconfig: api.kubeconfigPath });
});
after(async () => api.stop());

describe('KubernetesSource', () => {
  test('reads pods, namespaces, nodes and NADs; missing objects are undefined', async () => {
    const pod = await src.getPod('team-a', 'web');
    assert.equal(pod?.metadata.uid, '11111111-2222-3333-4444-555555555555');
    assert.equal(pod?.metadata.namespace, 'team-a');
    assert.equal(pod?.nodeName, 'node-a');
    assert.deepEqual(pod?.metadata.labels, { app: 'web' });
    assert.equal(pod?.metadata.annotations?.['k8s.v1.cni.cncf.io/networks'], 'kube-system/macvlan-vlan100');
    assert.equal(await src.getPod('team-a', 'gone'), undefined);
    assert.deepEqual((await src.getNamespace('team-a'))?.metadata.labels, { env: 'prod' });
    assert.equal(await src.getNamespace('nope'), undefined);
    assert.deepEqual((await src.getNode('node-a'))?.metadata.labels, { zone: 'z1' });
    const nad = await src.getNetworkAttachmentDefinition('kube-system', 'macvlan-vlan100');
    assert.equal(nad?.spec.config, '{"cniVersion":"1.0.0","type":"macvlan"}');
    assert.equal(nad?.metadata.annotations?.['trunkline.io/network-mode'], 'overlay');
    assert.deepEqual((await src.getNetworkAttachmentDefinition('kube-system', 'empty'))?.spec, {});
    assert.equal(await src.getNetworkAttachmentDefinition('team-a', 'macvlan-vlan100'), undefined);
  });

  test('lists SpiderIPPools and SpiderReservedIPs with their resourceVersions', async () => {
    const pools = await src.listIPPools();
    assert.deepEqual(
      pools.map((p) => [p.metadata.name, p.spec.subnet, p.status?.totalIPCount]),
      [['vlan100-v4', '10.100.0.0/24', 11]],
    );
    assert.match(pools[0]?.metadata.resourceVersion ?? '', /^\d+$/);
    const reserved = await src.listReservedIPs();
    assert.deepEqual(reserved[0]?.spec.ips, ['10.100.0.15']);
  });

  test('setPodAnnotations merges into the pod through pods/status', async () => {
    await src.setPodAnnotations('team-a', 'web', { [STATUS]: '[{"name":"x"}]' });
    const stored = api.get('v1', 'Pod', 'team-a', 'web');
    const ann = stored?.metadata?.annotations ?? {};
    assert.equal(ann[STATUS], '[{"name":"x"}]');
    assert.equal(ann['k8s.v1.cni.cncf.io/networks'], 'kube-system/macvlan-vlan100', 'other annotations kept');
    assert.ok(api.requests.some((r) => r.method === 'PUT' && r.subresource === 'status' && r.name === 'web'));
  });

  test('a concurrent update between GET and PUT causes a 409, retried until the annotation lands', async () => {
    let interfered = 0;
    const start = api.requests.length;
    api.onRequest = (r) => {
      if (r.method === 'PUT' && r.name === 'web' && interfered < 2) {
        interfered++;
        const cur = api.get('v1', 'Pod', 'team-a', 'web')!;
        api.update({
          ...cur,
          metadata: { ...cur.metadata, labels: { app: 'web', writer: `other-${interfered}` } },
        });
      }
    };
    try {
      await src.setPodAnnotations(
        'team-a',
        'web',
        { [STATUS]: '[{"name":"y"}]' },
        { uid: '11111111-2222-3333-4444-555555555555' },
      );
    } finally {
      api.onRequest = undefined;
    }
    const puts = api.requests.slice(start).filter((r) => r.method === 'PUT');
    assert.equal(puts.length, 3, 'two conflicting PUTs, then one that succeeds');
    const stored = api.get('v1', 'Pod', 'team-a', 'web')!;
    assert.equal(stored.metadata?.annotations?.[STATUS], '[{"name":"y"}]');
    assert.equal(stored.metadata?.labels?.writer, 'other-2', "the other writer's change is not lost");
  });

  test('refuses to annotate a different incarnation of the pod, and a deleted pod', async () => {
    await assert.rejects(
      src.setPodAnnotations('team-a', 'web', { a: 'b' }, { uid: 'other-uid' }),
      /expected pod UID other-uid/,
    );
    await assert.rejects(src.setPodAnnotations('team-a', 'gone', { a: 'b' }), (e: unknown) => {
      assert.ok(e instanceof CniError);
      assert.match(e.message, /pod team-a\/gone: pod not found/);
      return true;
    });
  });

  test('updateIPPoolStatus is optimistic: a stale resourceVersion yields "conflict"', async () => {
    const pool = (await src.getIPPool('vlan100-v4'))!;
    const next = {
      ...pool,
      status: { ...pool.status, allocatedIPCount: 1, allocatedIPs: '{"10.100.0.10":{}}' },
    };
    const written = await src.updateIPPoolStatus(next);
    assert.notEqual(written, 'conflict');
    const stored = api.get('spiderpool.spidernet.io/v2beta1', 'SpiderIPPool', undefined, 'vlan100-v4');
    assert.deepEqual(stored?.status, {
      allocatedIPCount: 1,
      totalIPCount: 11,
      allocatedIPs: '{"10.100.0.10":{}}',
    });
    assert.equal(await src.updateIPPoolStatus({ ...next, status: { allocatedIPCount: 7 } }), 'conflict');
    assert.equal(await src.getIPPool('missing'), undefined);
  });

  test('an unreachable API server is a retryable error (code 11), a missing kubeconfig code 7', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kcfg-'));
    try {
      const path = join(dir, 'kubeconfig');
      const cfg = JSON.stringify({
        apiVersion: 'v1',
        kind: 'Config',
        clusters: [
          { name: 'c', cluster: { server: 'http://127.0.0.1:1', 'insecure-skip-tls-verify': true } },
        ],
        users: [{ name: 'u', user: {} }],
        contexts: [{ name: 'x', context: { cluster: 'c', user: 'u' } }],
        'current-context': 'x',
      });
      writeFileSync(path, cfg);
      await assert.rejects(new KubernetesSource({ kubeconfig: path }).getPod('a', 'b'), (e: unknown) => {
        assert.ok(e instanceof CniError);
        assert.equal(e.code, 11);
        assert.match(e.message, /unreachable while reading pod a\/b/);
        return true;
      });
      await assert.rejects(
        new KubernetesSource({ kubeconfig: join(dir, 'none') }).getNode('n'),
        (e: unknown) => {
          assert.ok(e instanceof CniError);
          assert.equal(e.code, 7);
          return true;
        },
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
