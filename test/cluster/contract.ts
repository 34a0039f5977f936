// One behaviour suite for every ClusterSource: the local manifest source, the direct Kubernetes
// source and the watch-backed (cached) Kubernetes source run it unchanged. Each implementation
// provides a fixture that makes the same objects exist (manifest files, or objects in the test API
// server) and hands back a source reading them.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { PodUidMismatchError } from '../../src/cluster/pod.js';
import type { ClusterSource } from '../../src/cluster/types.js';
import { Code } from '../../src/cni/errors.js';

export type Manifest = Record<string, unknown> & { metadata?: Record<string, unknown> };

export interface ContractFixture {
  source: ClusterSource;
  close(): Promise<void>;
}

export const WEB_UID = '11111111-2222-3333-4444-555555555555';
const STATIC_UID = 'aaaaaaaa-0000-0000-0000-000000000001';
const NETWORKS = 'k8s.v1.cni.cncf.io/networks';
const STATUS = 'k8s.v1.cni.cncf.io/network-status';

/** The objects every fixture must make exist. */
export const OBJECTS: Manifest[] = [
  { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'team-a', labels: { env: 'prod' } } },
  { apiVersion: 'v1', kind: 'Node', metadata: { name: 'node-a', labels: { zone: 'z1' } } },
  {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: 'web',
      namespace: 'team-a',
      uid: WEB_UID,
      labels: { app: 'web' },
      annotations: { [NETWORKS]: 'kube-system/macvlan-vlan100' },
    },
    spec: { nodeName: 'node-a', containers: [{ name: 'c', image: 'i' }] },
  },
  {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: 'etcd-node-a',
      namespace: 'team-a',
      uid: STATIC_UID,
      annotations: { 'kubernetes.io/config.source': 'file' },
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
    spec: { ipVersion: 4, subnet: '10.100.0.0/24', ips: ['10.100.0.10-10.100.0.20'], gateway: '10.100.0.1' },
  },
  {
    apiVersion: 'spiderpool.spidernet.io/v2beta1',
    kind: 'SpiderReservedIP',
    metadata: { name: 'keep-out' },
    spec: { ipVersion: 4, ips: ['10.100.0.15'] },
  },
];

/** Sources that serve reads from a cache see their own writes once the watch delivers them. */
async function eventually<T>(read: () => Promise<T>, ok: (v: T) => boolean): Promise<T> {
  for (let i = 0; ; i++) {
    const v = await read();
    if (ok(v) || i >= 200) return v;
    await new Promise((r) => setTimeout(r, 25));
  }
}

export function clusterSourceContract(name: string, make: (objects: Manifest[]) => Promise<ContractFixture>) {
  describe(`ClusterSource contract: ${name}`, () => {
    let fx: ContractFixture;
    let src: ClusterSource;
    before(async () => {
      fx = await make(OBJECTS);
      src = fx.source;
    });
    after(async () => fx.close());

    it('reads a pod: identity, labels, annotations, node; a missing pod is undefined', async () => {
      const pod = await src.getPod('team-a', 'web');
      assert.equal(pod?.metadata.name, 'web');
      assert.equal(pod?.metadata.namespace, 'team-a');
      assert.equal(pod?.metadata.uid, WEB_UID);
      assert.equal(pod?.nodeName, 'node-a');
      assert.deepEqual(pod?.metadata.labels, { app: 'web' });
      assert.equal(pod?.metadata.annotations?.[NETWORKS], 'kube-system/macvlan-vlan100');
      assert.equal(await src.getPod('team-a', 'gone'), undefined);
      assert.equal(await src.getPod('other', 'web'), undefined);
    });

    it('K8S_POD_UID: the same incarnation is returned, another one refused with Multus’s message', async () => {
      assert.equal((await src.getPod('team-a', 'web', { uid: WEB_UID }))?.metadata.uid, WEB_UID);
      await assert.rejects(src.getPod('team-a', 'web', { uid: 'previous-uid' }), (e: unknown) => {
        assert.ok(e instanceof PodUidMismatchError, String(e));
        assert.equal(e.code, Code.Internal);
        assert.equal(e.message, `expected pod UID "previous-uid" but got "${WEB_UID}" from Kube API`);
        return true;
      });
      assert.equal(await src.getPod('team-a', 'gone', { uid: 'any' }), undefined, 'absent is not a mismatch');
    });

    it('a static pod (config.source != api) is accepted under the kubelet’s own UID', async () => {
      const pod = await src.getPod('team-a', 'etcd-node-a', { uid: 'kubelet-side-uid' });
      assert.equal(pod?.metadata.uid, STATIC_UID);
    });

    it('reads namespaces and nodes; missing ones are undefined', async () => {
      assert.deepEqual((await src.getNamespace('team-a'))?.metadata.labels, { env: 'prod' });
      assert.equal(await src.getNamespace('nope'), undefined);
      assert.deepEqual((await src.getNode('node-a'))?.metadata.labels, { zone: 'z1' });
      assert.equal(await src.getNode('node-z'), undefined);
    });

    it('reads NetworkAttachmentDefinitions by namespace and name; an empty spec stays empty', async () => {
      const nad = await src.getNetworkAttachmentDefinition('kube-system', 'macvlan-vlan100');
      assert.equal(nad?.metadata.namespace, 'kube-system');
      assert.equal(nad?.spec.config, '{"cniVersion":"1.0.0","type":"macvlan"}');
      assert.equal(nad?.metadata.annotations?.['trunkline.io/network-mode'], 'overlay');
      assert.deepEqual((await src.getNetworkAttachmentDefinition('kube-system', 'empty'))?.spec, {});
      assert.equal(await src.getNetworkAttachmentDefinition('team-a', 'macvlan-vlan100'), undefined);
    });

    it('lists SpiderIPPools and SpiderReservedIPs with their specs', async () => {
      const pools = await src.listIPPools();
      assert.deepEqual(
        pools.map((p) => [p.metadata.name, p.spec.subnet, p.spec.ips, p.spec.gateway]),
        [['vlan100-v4', '10.100.0.0/24', ['10.100.0.10-10.100.0.20'], '10.100.0.1']],
      );
      const reserved = await src.listReservedIPs();
      assert.deepEqual(
        reserved.map((r) => [r.metadata.name, r.spec.ips]),
        [['keep-out', ['10.100.0.15']]],
      );
    });

    it('setPodAnnotations merges into the pod; readers see it next to the other annotations', async () => {
      await src.setPodAnnotations('team-a', 'web', { [STATUS]: '[{"name":"a"}]' }, { uid: WEB_UID });
      await src.setPodAnnotations('team-a', 'web', { 'example.com/x': '1' });
      const ann = (
        await eventually(
          () => src.getPod('team-a', 'web'),
          (p) => p?.metadata.annotations?.['example.com/x'] === '1',
        )
      )?.metadata.annotations;
      assert.equal(ann?.[STATUS], '[{"name":"a"}]');
      assert.equal(ann?.['example.com/x'], '1');
      assert.equal(ann?.[NETWORKS], 'kube-system/macvlan-vlan100');
    });
  });
}
