// IP GC table test: every Spiderpool GC case (pod deleted without DEL, name reused with a new UID,
// terminating past grace, completed, node deleted, node NotReady too long, StatefulSet scale-down,
// KubeVirt VM halted) releases exactly the right holders and no others — while a live pod, a pod
// still in its grace period, a recently NotReady node, StatefulSet/VM replicas the owner wants, an
// ADD in flight and a pod the cache has not seen yet keep theirs — for the SQLite, etcd and
// Kubernetes stores alike, against the test API server as the cluster.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { loadClients } from '../../src/cluster/kubernetes/client.js';
import { KubernetesSource } from '../../src/cluster/kubernetes/source.js';
import { kubeClusterView } from '../../src/gc/kube-view.js';
import { NodeGc } from '../../src/gc/node-gc.js';
import { collect } from '../../src/gc/scan.js';
import { DEFAULT_POLICY } from '../../src/gc/types.js';
import { EtcdStore } from '../../src/store/etcd/index.js';
import { KubernetesStore } from '../../src/store/kubernetes/index.js';
import { SqliteStore } from '../../src/store/sqlite.js';
import type { AllocationStore, Holder } from '../../src/store/types.js';
import { startEtcd } from '../helpers/etcd.js';
import { asController, denied } from './identity.js';
import '../kube-apiserver/controller-kinds.js';
import { type KubeApiServer, startKubeApiServer } from '../kube-apiserver/server.js';
import { pool, range } from '../store/contract.js';

const NS = 'app';
const POOL_API = 'spiderpool.spidernet.io/v2beta1';
const V4 = pool('gc-v4', 4, range('10.20.0.1', '10.20.0.200'));
const V6 = pool('gc-v6', 6, range('fd20::1', 'fd20::c8'));
const MIN = 60_000;

/** containerId → [pod name, pod UID recorded, dual stack?, ifname]; the pod objects are below. */
const OLD: [string, string, string, boolean?, string?][] = [
  ['c-alive', 'alive', 'u-alive'],
  ['c-ghost', 'ghost', 'u-ghost', true],
  ['c-ghost', 'ghost', 'u-ghost', false, 'net1'],
  ['c-reused-old', 'reused', 'u-old'],
  ['c-reused-new', 'reused', 'u-new'],
  ['c-term-old', 'term-old', 'u-term-old'],
  ['c-term-new', 'term-new', 'u-term-new'],
  ['c-done', 'done', 'u-done'],
  ['c-on-n2', 'on-n2', 'u-on-n2'],
  ['c-on-n3', 'on-n3', 'u-on-n3'],
  ['c-on-n4', 'on-n4', 'u-on-n4'],
  ['c-web-0', 'web-0', 'u-web-0'],
  ['c-web-1', 'web-1', 'u-web-1'],
  ['c-web-2', 'web-2', 'u-web-2'],
  ['c-db-0', 'db-0', 'u-db-0'],
  ['c-vm1', 'virt-launcher-vm1-abcde', 'u-vm1'],
  ['c-vm2', 'virt-launcher-vm2-fghij', 'u-vm2'],
  ['c-late', 'late', 'u-late'],
];
const RELEASED = [
  'c-ghost/eth0',
  'c-ghost/net1',
  'c-reused-old/eth0',
  'c-term-old/eth0',
  'c-done/eth0',
  'c-on-n2/eth0',
  'c-on-n3/eth0',
  'c-web-2/eth0',
  'c-vm2/eth0',
].sort();
const KEPT_ALSO = ['c-fresh/eth0', 'c-foreign/eth0'];

function cluster(now: number): Record<string, unknown>[] {
  const iso = (ms: number) => new Date(ms).toISOString();
  const node = (name: string, ready: string, since: number) => ({
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name },
    status: { conditions: [{ type: 'Ready', status: ready, lastTransitionTime: iso(since) }] },
  });
  const pod = (
    name: string,
    uid: string,
    nodeName: string,
    extra: Record<string, unknown> = {},
    phase = 'Running',
  ) => ({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: NS, uid, ...extra },
    spec: { nodeName, containers: [{ name: 'c', image: 'x' }] },
    status: { phase },
  });
  const sts = (name: string, replicas: number) => ({
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: { name, namespace: NS },
    spec: { replicas },
  });
  const vm = (name: string, running: boolean) => ({
    apiVersion: 'kubevirt.io/v1',
    kind: 'VirtualMachine',
    metadata: { name, namespace: NS },
    spec: { running },
  });
  return [
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } },
    node('n1', 'True', now - 60 * MIN),
    node('n3', 'False', now - 10 * MIN),
    node('n4', 'Unknown', now - MIN / 2),
    pod('alive', 'u-alive', 'n1'),
    pod('reused', 'u-new', 'n1'),
    pod('term-old', 'u-term-old', 'n1'),
    pod('term-new', 'u-term-new', 'n1'),
    pod('done', 'u-done', 'n1', {}, 'Succeeded'),
    pod('on-n2', 'u-on-n2', 'n2'),
    pod('on-n3', 'u-on-n3', 'n3'),
    pod('on-n4', 'u-on-n4', 'n4'),
    pod('db-0', 'u-db-0', 'n2', {
      ownerReferences: [
        { apiVersion: 'apps/v1', kind: 'StatefulSet', name: 'db', uid: 'x', controller: true },
      ],
    }),
    sts('web', 2),
    sts('db', 1),
    vm('vm1', true),
    vm('vm2', false),
  ];
}

const holderOf = ([cid, name, uid, , ifname]: (typeof OLD)[number]): Holder => ({
  containerId: cid,
  ifname: ifname ?? 'eth0',
  podNamespace: NS,
  podName: name,
  podUid: uid,
  network: 'macvlan-vlan100',
});

async function runCase(api: KubeApiServer, store: AllocationStore): Promise<void> {
  for (const row of OLD) {
    const reqs = row[3]
      ? [
          { family: 4 as const, candidates: [V4] },
          { family: 6 as const, candidates: [V6] },
        ]
      : [{ family: 4 as const, candidates: [V4] }];
    assert.ok((await store.allocate(holderOf(row), reqs)).ok);
  }
  // Written by someone else (no containerID on Kubernetes; here: no pod identity): never touched.
  assert.ok(
    (await store.allocate({ containerId: 'c-foreign', ifname: 'eth0' }, [{ family: 4, candidates: [V4] }]))
      .ok,
  );
  // Every allocation so far is older than `mid`; the in-flight ADD below is younger.
  const mid = Date.now();
  while (Date.now() <= mid + 1) await new Promise((r) => setTimeout(r, 2));
  assert.ok(
    (await store.allocate(holderOf(['c-fresh', 'fresh', 'u-fresh']), [{ family: 4, candidates: [V4] }])).ok,
  );
  const now = mid + DEFAULT_POLICY.inflightGraceMs;
  api.seed(cluster(now));
  const admin = await loadClients(api.kubeconfigPath);
  // The GC's reads as the controller's service account with the deploy RBAC.
  const clients = await loadClients(asController(api));
  // Terminating as `kubectl delete` makes a pod: the API server sets deletionTimestamp to now + grace
  // and keeps the pod (no kubelet here sends the final grace-0 delete). term-old's grace ends before
  // `now`, term-new's after it.
  await admin.core.deleteNamespacedPod({ namespace: NS, name: 'term-old', gracePeriodSeconds: 30 });
  await admin.core.deleteNamespacedPod({ namespace: NS, name: 'term-new', gracePeriodSeconds: 600 });
  for (const name of ['term-old', 'term-new'])
    assert.ok(api.get('v1', 'Pod', NS, name)?.metadata?.deletionTimestamp, `${name} is terminating`);
  const view = await kubeClusterView(clients);
  // Created after the view's lists: only the live re-read knows it.
  api.seed([
    {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'late', namespace: NS, uid: 'u-late' },
      spec: { nodeName: 'n1' },
      status: { phase: 'Running' },
    },
  ]);
  const writes: string[] = [];
  const r = await collect(store, view, DEFAULT_POLICY, now, { beforeWrite: (w) => writes.push(w) });
  const key = (a: { containerId: string; ifname: string }) => `${a.containerId}/${a.ifname}`;
  assert.deepEqual([...new Set(r.released.map(key))].sort(), RELEASED);
  assert.equal(r.released.length, RELEASED.length + 1, 'the dual-stack ghost loses both families');
  // Per holder, or (stores with exact release) per batch of pools.
  assert.equal(writes.length, store.releaseExact ? 1 : RELEASED.length, 'fenced writes');
  const reasons = Object.fromEntries(r.released.map((a) => [key(a), a.reason]));
  assert.deepEqual(
    [
      reasons['c-ghost/eth0'],
      reasons['c-reused-old/eth0'],
      reasons['c-term-old/eth0'],
      reasons['c-done/eth0'],
      reasons['c-on-n2/eth0'],
      reasons['c-on-n3/eth0'],
      reasons['c-web-2/eth0'],
      reasons['c-vm2/eth0'],
    ],
    [
      'pod-gone',
      'uid-mismatch',
      'terminating-expired',
      'pod-completed',
      'node-gone',
      'node-not-ready',
      'pod-gone',
      'pod-gone',
    ],
  );
  const left = [...new Set((await store.list()).map(key))].sort();
  const all = [...new Set([...OLD.map((o) => `${o[0]}/${o[4] ?? 'eth0'}`), ...KEPT_ALSO])];
  assert.deepEqual(left, all.filter((k) => !RELEASED.includes(k)).sort());
  // A second pass finds nothing more.
  assert.equal(
    (await collect(store, await kubeClusterView(clients), DEFAULT_POLICY, now)).released.length,
    0,
  );
  assert.deepEqual(denied(api), [], 'every call allowed by the deploy RBAC');
}

async function withApi(fn: (api: KubeApiServer) => Promise<void>): Promise<void> {
  const api = await startKubeApiServer();
  try {
    await fn(api);
  } finally {
    await api.stop();
  }
}

describe('IP GC over every store', () => {
  it('sqlite', () =>
    withApi(async (api) => {
      const dir = mkdtempSync(join(tmpdir(), 'ctl-gc-'));
      const store = new SqliteStore({ path: join(dir, 'ipam.db') });
      try {
        await runCase(api, store);
      } finally {
        await store.close();
        rmSync(dir, { recursive: true, force: true });
      }
    }));

  it('etcd', () =>
    withApi(async (api) => {
      const etcd = await startEtcd();
      const store = new EtcdStore({ endpoints: [etcd.endpoint], prefix: '/gc-test/', timeoutMs: 20_000 });
      try {
        await runCase(api, store);
      } finally {
        await store.close();
        await etcd.stop();
      }
    }));

  it('kubernetes', () =>
    withApi(async (api) => {
      api.seed(
        [V4, V6].map((c) => ({
          apiVersion: POOL_API,
          kind: 'SpiderIPPool',
          metadata: { name: c.pool },
          spec:
            c.family === 4 ? { ipVersion: 4, subnet: '10.20.0.0/24' } : { ipVersion: 6, subnet: 'fd20::/64' },
        })),
      );
      await runCase(api, new KubernetesStore(new KubernetesSource({ kubeconfig: asController(api) })));
    }));
});

describe('node agent GC (SQLite store with a Kubernetes source)', () => {
  it('a pass releases the address of a gone pod and keeps a live one', () =>
    withApi(async (api) => {
      const dir = mkdtempSync(join(tmpdir(), 'ctl-nodegc-'));
      const store = new SqliteStore({ path: join(dir, 'ipam.db') });
      const gc = new NodeGc(3_600_000, { ...DEFAULT_POLICY, inflightGraceMs: 0 });
      try {
        api.seed(cluster(Date.now()));
        for (const row of [OLD[0]!, OLD[1]!])
          assert.ok((await store.allocate(holderOf(row), [{ family: 4, candidates: [V4] }])).ok);
        gc.track('k', api.kubeconfigPath, store);
        gc.track('k', api.kubeconfigPath, store);
        assert.equal(await gc.pass(), 1);
        assert.deepEqual(
          (await store.list()).map((a) => a.containerId),
          ['c-alive'],
        );
      } finally {
        await gc.close();
        await store.close();
        rmSync(dir, { recursive: true, force: true });
      }
    }));
});
