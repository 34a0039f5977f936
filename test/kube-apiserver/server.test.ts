// The test API server must be indistinguishable from a real one for @kubernetes/client-node: every
// check here goes through the real client with the kubeconfig the server writes.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import * as k8s from '@kubernetes/client-node';
import { apiError } from './api-error.js';
import { type KubeApiServer, startKubeApiServer } from './server.js';

let api: KubeApiServer;
let kc: k8s.KubeConfig;
let core: k8s.CoreV1Api;
let custom: k8s.CustomObjectsApi;

before(async () => {
  api = await startKubeApiServer();
  kc = new k8s.KubeConfig();
  kc.loadFromFile(api.kubeconfigPath);
  core = kc.makeApiClient(k8s.CoreV1Api);
  custom = kc.makeApiClient(k8s.CustomObjectsApi);
});
after(async () => api.stop());

const pod = (name: string, nodeName: string, labels: Record<string, string> = {}): k8s.V1Pod => ({
  metadata: { name, labels, annotations: { a: '1' } },
  spec: { nodeName, containers: [{ name: 'c', image: 'busybox' }] },
});

describe('test kube-apiserver through @kubernetes/client-node', () => {
  test('create, get and list with label and field selectors', async () => {
    await core.createNamespacedPod({
      namespace: 'default',
      body: pod('web-1', 'node-a', { app: 'web', tier: 'fe' }),
    });
    await core.createNamespacedPod({ namespace: 'default', body: pod('web-2', 'node-b', { app: 'web' }) });
    await core.createNamespacedPod({ namespace: 'default', body: pod('db-1', 'node-a', { app: 'db' }) });
    const got = await core.readNamespacedPod({ namespace: 'default', name: 'web-1' });
    assert.equal(got.spec?.nodeName, 'node-a');
    assert.equal(got.status?.phase, 'Pending');
    assert.match(got.metadata?.uid ?? '', /^[0-9a-f-]{36}$/);
    const web = await core.listNamespacedPod({ namespace: 'default', labelSelector: 'app=web' });
    assert.deepEqual(web.items.map((p) => p.metadata?.name).sort(), ['web-1', 'web-2']);
    const onA = await core.listNamespacedPod({ namespace: 'default', fieldSelector: 'spec.nodeName=node-a' });
    assert.deepEqual(onA.items.map((p) => p.metadata?.name).sort(), ['db-1', 'web-1']);
    const setSel = await core.listPodForAllNamespaces({ labelSelector: 'app in (db,cache),!tier' });
    assert.deepEqual(
      setSel.items.map((p) => p.metadata?.name),
      ['db-1'],
    );
    const byName = await core.listNamespacedPod({
      namespace: 'default',
      fieldSelector: 'metadata.name=web-2',
    });
    assert.deepEqual(
      byName.items.map((p) => p.metadata?.name),
      ['web-2'],
    );
    assert.ok(Number(web.metadata?.resourceVersion) >= Number(got.metadata?.resourceVersion));
  });

  test('stale resourceVersion on update is a 409 Conflict Status', async () => {
    const first = await core.readNamespacedPod({ namespace: 'default', name: 'web-2' });
    const stale = await core.readNamespacedPod({ namespace: 'default', name: 'web-2' });
    first.metadata!.labels = { app: 'web', v: '2' };
    const updated = await core.replaceNamespacedPod({ namespace: 'default', name: 'web-2', body: first });
    assert.ok(Number(updated.metadata?.resourceVersion) > Number(stale.metadata?.resourceVersion));
    stale.metadata!.labels = { app: 'web', v: 'stale' };
    const err = await apiError(
      core.replaceNamespacedPod({ namespace: 'default', name: 'web-2', body: stale }),
    );
    assert.equal(err.code, 409);
    assert.equal(err.body.kind, 'Status');
    assert.equal(err.body.reason, 'Conflict');
    const now = await core.readNamespacedPod({ namespace: 'default', name: 'web-2' });
    assert.equal(now.metadata?.labels?.v, '2');
  });

  test('pods/status keeps annotation changes, the main endpoint ignores status', async () => {
    const p = await core.readNamespacedPod({ namespace: 'default', name: 'web-1' });
    p.metadata!.annotations = { ...p.metadata!.annotations, 'k8s.v1.cni.cncf.io/network-status': '[]' };
    p.spec!.nodeName = 'elsewhere';
    p.status = { phase: 'Running' };
    await core.replaceNamespacedPodStatus({ namespace: 'default', name: 'web-1', body: p });
    const after1 = await core.readNamespacedPod({ namespace: 'default', name: 'web-1' });
    assert.equal(after1.metadata?.annotations?.['k8s.v1.cni.cncf.io/network-status'], '[]');
    assert.equal(after1.spec?.nodeName, 'node-a', 'status update must not change spec');
    assert.equal(after1.status?.phase, 'Running');
    after1.status = { phase: 'Failed' };
    await core.replaceNamespacedPod({ namespace: 'default', name: 'web-1', body: after1 });
    const after2 = await core.readNamespacedPod({ namespace: 'default', name: 'web-1' });
    assert.equal(after2.status?.phase, 'Running', 'main update must not change status');
  });

  test('404, 422 and 409 AlreadyExists as Status objects', async () => {
    const nf = await apiError(core.readNamespacedPod({ namespace: 'default', name: 'nope' }));
    assert.equal(nf.code, 404);
    assert.equal(nf.body.reason, 'NotFound');
    assert.equal(nf.body.message, 'pods "nope" not found');
    const bad = await apiError(
      core.createNamespacedPod({ namespace: 'default', body: pod('Bad_Name', 'x') }),
    );
    assert.equal(bad.code, 422);
    assert.equal(bad.body.reason, 'Invalid');
    const dup = await apiError(core.createNamespacedPod({ namespace: 'default', body: pod('db-1', 'x') }));
    assert.equal(dup.code, 409);
    assert.equal(dup.body.reason, 'AlreadyExists');
    const noNs = await apiError(core.createNamespacedPod({ namespace: 'missing', body: pod('x', 'x') }));
    assert.equal(noNs.code, 404);
  });

  test('merge patch and JSON patch', async () => {
    await core.patchNamespacedPod(
      { namespace: 'default', name: 'db-1', body: { metadata: { labels: { app: null, role: 'primary' } } } },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
    );
    let p = await core.readNamespacedPod({ namespace: 'default', name: 'db-1' });
    assert.deepEqual(p.metadata?.labels, { role: 'primary' });
    await core.patchNamespacedPod(
      {
        namespace: 'default',
        name: 'db-1',
        body: [
          { op: 'add', path: '/metadata/annotations/b', value: '2' },
          { op: 'remove', path: '/metadata/annotations/a' },
        ],
      },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.JsonPatch),
    );
    p = await core.readNamespacedPod({ namespace: 'default', name: 'db-1' });
    assert.deepEqual(p.metadata?.annotations, { b: '2' });
    const stale = await apiError(
      core.patchNamespacedPod(
        {
          namespace: 'default',
          name: 'db-1',
          body: { metadata: { resourceVersion: '1', labels: { x: 'y' } } },
        },
        k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
      ),
    );
    assert.equal(stale.code, 409);
  });

  test('watch streams events from a resourceVersion', async () => {
    const start = await core.listNamespacedPod({ namespace: 'default' });
    const events: { type: string; name: string | undefined }[] = [];
    let resolveDeleted: () => void = () => {};
    const deleted = new Promise<void>((resolve) => {
      resolveDeleted = resolve;
    });
    const ctl = await new k8s.Watch(kc).watch(
      '/api/v1/namespaces/default/pods',
      { resourceVersion: start.metadata?.resourceVersion, labelSelector: 'role=primary' },
      (type, obj: k8s.V1Pod) => {
        events.push({ type, name: obj.metadata?.name });
        if (type === 'DELETED') resolveDeleted();
      },
      () => {},
    );
    await core.patchNamespacedPod(
      { namespace: 'default', name: 'web-2', body: { metadata: { labels: { role: 'other' } } } },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
    );
    await core.patchNamespacedPod(
      { namespace: 'default', name: 'db-1', body: { metadata: { labels: { seen: 'yes' } } } },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
    );
    // Scheduled: deleted gracefully unless grace 0, which is written (MODIFIED) before it goes.
    await core.deleteNamespacedPod({ namespace: 'default', name: 'db-1', gracePeriodSeconds: 0 });
    await deleted;
    ctl.abort();
    assert.deepEqual(events, [
      { type: 'MODIFIED', name: 'db-1' },
      { type: 'MODIFIED', name: 'db-1' },
      { type: 'DELETED', name: 'db-1' },
    ]);
  });

  test('a watch without resourceVersion starts with ADDED for what exists, then follows changes', async () => {
    const seen: string[] = [];
    let resolveNew: () => void = () => {};
    const gotNew = new Promise<void>((resolve) => {
      resolveNew = resolve;
    });
    const ctl = await new k8s.Watch(kc).watch(
      '/api/v1/namespaces',
      {},
      (type, obj: k8s.V1Namespace) => {
        seen.push(`${type} ${obj.metadata?.name}`);
        if (obj.metadata?.name === 'watched') resolveNew();
      },
      () => {},
    );
    await core.createNamespace({ body: { metadata: { name: 'watched' } } });
    await gotNew;
    ctl.abort();
    assert.ok(seen.includes('ADDED kube-system'), seen.join(','));
    assert.equal(seen.at(-1), 'ADDED watched');
  });

  test('custom resources: cluster-scoped SpiderIPPool with a status subresource, namespaced NADs', async () => {
    const group = 'spiderpool.spidernet.io';
    const version = 'v2beta1';
    const plural = 'spiderippools';
    const body = {
      apiVersion: `${group}/${version}`,
      kind: 'SpiderIPPool',
      metadata: { name: 'vlan100-v4' },
      spec: { subnet: '10.100.0.0/24', ips: ['10.100.0.10-10.100.0.20'] },
      status: { allocatedIPCount: 99 },
    };
    const created = (await custom.createClusterCustomObject({ group, version, plural, body })) as typeof body;
    assert.equal(created.status, undefined, 'create ignores status');
    const withStatus = { ...created, status: { allocatedIPCount: 1, allocatedIPs: '{}' } };
    const s = (await custom.replaceClusterCustomObjectStatus({
      group,
      version,
      plural,
      name: 'vlan100-v4',
      body: withStatus,
    })) as {
      status: { allocatedIPCount: number };
      metadata: { resourceVersion: string };
    };
    assert.equal(s.status.allocatedIPCount, 1);
    const conflict = await apiError(
      custom.replaceClusterCustomObjectStatus({
        group,
        version,
        plural,
        name: 'vlan100-v4',
        body: withStatus,
      }),
    );
    assert.equal(conflict.code, 409);
    const list = (await custom.listClusterCustomObject({ group, version, plural })) as { items: unknown[] };
    assert.equal(list.items.length, 1);
    await custom.createNamespacedCustomObject({
      group: 'k8s.cni.cncf.io',
      version: 'v1',
      plural: 'network-attachment-definitions',
      namespace: 'kube-system',
      body: {
        apiVersion: 'k8s.cni.cncf.io/v1',
        kind: 'NetworkAttachmentDefinition',
        metadata: { name: 'n1' },
        spec: { config: '{}' },
      },
    });
    assert.equal(
      api.get('k8s.cni.cncf.io/v1', 'NetworkAttachmentDefinition', 'kube-system', 'n1')?.kind,
      'NetworkAttachmentDefinition',
    );
  });

  test('leases and one resourceVersion sequence across kinds', async () => {
    const coord = kc.makeApiClient(k8s.CoordinationV1Api);
    const lease = await coord.createNamespacedLease({
      namespace: 'kube-system',
      body: {
        metadata: { name: 'trunkline-node-a' },
        spec: { holderIdentity: 'node-a', leaseDurationSeconds: 10 },
      },
    });
    const ns = await core.createNamespace({ body: { metadata: { name: 'team-a' } } });
    assert.ok(Number(ns.metadata?.resourceVersion) > Number(lease.metadata?.resourceVersion));
    lease.spec!.holderIdentity = 'node-b';
    const renewed = await coord.replaceNamespacedLease({
      namespace: 'kube-system',
      name: 'trunkline-node-a',
      body: lease,
    });
    assert.equal(renewed.spec?.holderIdentity, 'node-b');
    assert.ok(Number(renewed.metadata?.resourceVersion) > Number(ns.metadata?.resourceVersion));
  });
});
