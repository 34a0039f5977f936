// Deletion as kube-apiserver and its garbage collector do it, through @kubernetes/client-node and a
// real watch: graceful pod deletion (deletionTimestamp = now + grace; a later delete may only
// shorten it; grace 0 removes), finalizers (the object stays, no new finalizer may be added, the
// last one removed deletes it), and ownerReference cascading with the Background, Orphan and
// Foreground propagation policies.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import * as k8s from '@kubernetes/client-node';
import { apiError } from './api-error.js';
import { type KubeApiServer, startKubeApiServer } from './server.js';

let api: KubeApiServer;
let core: k8s.CoreV1Api;
let kc: k8s.KubeConfig;

before(async () => {
  api = await startKubeApiServer();
  kc = new k8s.KubeConfig();
  kc.loadFromFile(api.kubeconfigPath);
  core = kc.makeApiClient(k8s.CoreV1Api);
  await core.createNamespace({ body: { metadata: { name: 'del' } } });
});
after(async () => api.stop());

const NS = 'del';
const sec = (t: Date | string | undefined) => Math.round(new Date(t ?? 0).getTime() / 1000);

async function until<T>(what: string, f: () => T | undefined | false): Promise<T> {
  for (let i = 0; i < 200; i++) {
    const v = f();
    if (v !== undefined && v !== false) return v;
    await new Promise((r) => setTimeout(r, 10));
  }
  assert.fail(`timed out waiting for ${what}`);
}

/** Watch events of one collection from now on, as a client sees them. */
async function watch(
  path: string,
): Promise<{ events: { type: string; obj: k8s.KubernetesObject }[]; stop(): void }> {
  const events: { type: string; obj: k8s.KubernetesObject }[] = [];
  const ctl = await new k8s.Watch(kc).watch(
    path,
    { resourceVersion: String(api.store.currentRv) },
    (type, obj: k8s.KubernetesObject) => events.push({ type, obj }),
    () => {},
  );
  return { events, stop: () => ctl.abort() };
}

const cm = (name: string, meta: Partial<k8s.V1ObjectMeta> = {}): k8s.V1ConfigMap => ({
  metadata: { name, ...meta },
  data: { k: 'v' },
});
const ownedBy = (o: k8s.KubernetesObject, block = false): k8s.V1OwnerReference => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  name: o.metadata?.name ?? '',
  uid: o.metadata?.uid ?? '',
  ...(block ? { blockOwnerDeletion: true } : {}),
});
const getCm = (name: string) => api.get('v1', 'ConfigMap', NS, name);

describe('graceful pod deletion', () => {
  test('a scheduled pod stays terminating for its grace period; only a shorter grace moves it; 0 removes it', async () => {
    await core.createNamespacedPod({
      namespace: NS,
      body: {
        metadata: { name: 'slow' },
        spec: { nodeName: 'n1', terminationGracePeriodSeconds: 45, containers: [{ name: 'c', image: 'x' }] },
      },
    });
    const w = await watch(`/api/v1/namespaces/${NS}/pods`);
    const t0 = Date.now();
    const first = await core.deleteNamespacedPod({ namespace: NS, name: 'slow' });
    assert.equal(first.metadata?.deletionGracePeriodSeconds, 45);
    const ts = sec(first.metadata?.deletionTimestamp);
    assert.ok(Math.abs(ts - Math.round(t0 / 1000) - 45) <= 1, `deletionTimestamp ${ts} is now + 45 s`);
    assert.equal(first.metadata?.generation, 2, 'the first graceful delete bumps the generation');
    const live = await core.readNamespacedPod({ namespace: NS, name: 'slow' });
    assert.equal(live.metadata?.resourceVersion, first.metadata?.resourceVersion);

    // Pending with the same or a longer grace: nothing is written.
    const again = await core.deleteNamespacedPod({ namespace: NS, name: 'slow', gracePeriodSeconds: 60 });
    assert.equal(again.metadata?.resourceVersion, first.metadata?.resourceVersion);
    assert.equal(again.metadata?.deletionGracePeriodSeconds, 45);

    const shorter = await core.deleteNamespacedPod({ namespace: NS, name: 'slow', gracePeriodSeconds: 5 });
    assert.equal(shorter.metadata?.deletionGracePeriodSeconds, 5);
    assert.equal(sec(shorter.metadata?.deletionTimestamp), ts - 40, 'the same start, 5 s later');

    // An update keeps the deletion fields (they are not the client's to change).
    await core.patchNamespacedPod(
      {
        namespace: NS,
        name: 'slow',
        body: { metadata: { labels: { x: 'y' }, deletionGracePeriodSeconds: 99 } },
      },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
    );
    assert.equal(
      (await core.readNamespacedPod({ namespace: NS, name: 'slow' })).metadata?.deletionGracePeriodSeconds,
      5,
    );

    await core.deleteNamespacedPod({ namespace: NS, name: 'slow', gracePeriodSeconds: 0 });
    await apiError(core.readNamespacedPod({ namespace: NS, name: 'slow' }));
    await until('the DELETED event', () => w.events.some((e) => e.type === 'DELETED'));
    w.stop();
    assert.deepEqual(
      w.events.map((e) => [e.type, e.obj.metadata?.deletionGracePeriodSeconds]),
      [
        ['MODIFIED', 45],
        ['MODIFIED', 5],
        ['MODIFIED', 5],
        ['MODIFIED', 0],
        ['DELETED', 0],
      ],
    );
  });

  test('an unscheduled or finished pod goes at once; the default grace is 30 s', async () => {
    const mk = (name: string, nodeName?: string) =>
      core.createNamespacedPod({
        namespace: NS,
        body: {
          metadata: { name },
          spec: { ...(nodeName ? { nodeName } : {}), containers: [{ name: 'c', image: 'x' }] },
        },
      });
    await mk('pending');
    await core.deleteNamespacedPod({ namespace: NS, name: 'pending' });
    assert.equal(api.get('v1', 'Pod', NS, 'pending'), undefined);

    await mk('done', 'n1');
    await core.replaceNamespacedPodStatus({
      namespace: NS,
      name: 'done',
      body: {
        ...(await core.readNamespacedPod({ namespace: NS, name: 'done' })),
        status: { phase: 'Succeeded' },
      },
    });
    await core.deleteNamespacedPod({ namespace: NS, name: 'done', gracePeriodSeconds: 100 });
    assert.equal(api.get('v1', 'Pod', NS, 'done'), undefined);

    await mk('default', 'n1');
    const d = await core.deleteNamespacedPod({ namespace: NS, name: 'default' });
    assert.equal(d.metadata?.deletionGracePeriodSeconds, 30);
    api.delete('v1', 'Pod', NS, 'default'); // the kubelet's grace-0 delete
    assert.equal(api.get('v1', 'Pod', NS, 'default'), undefined);
  });
});

describe('finalizers', () => {
  test('hold the object with deletionTimestamp; none may be added; the last one removed deletes it', async () => {
    await core.createNamespacedConfigMap({
      namespace: NS,
      body: cm('held', { finalizers: ['example.com/a'] }),
    });
    const w = await watch(`/api/v1/namespaces/${NS}/configmaps`);
    await core.deleteNamespacedConfigMap({ namespace: NS, name: 'held' });
    const held = getCm('held');
    assert.ok(held?.metadata?.deletionTimestamp, 'stays with a deletionTimestamp');
    assert.equal(held?.metadata?.deletionGracePeriodSeconds, 0);
    const add = await apiError(
      core.patchNamespacedConfigMap(
        {
          namespace: NS,
          name: 'held',
          body: { metadata: { finalizers: ['example.com/a', 'example.com/b'] } },
        },
        k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
      ),
    );
    assert.equal(add.code, 422);
    assert.match(
      String(add.body['message']),
      /no new finalizers can be added if the object is being deleted/,
    );
    await core.patchNamespacedConfigMap(
      { namespace: NS, name: 'held', body: { metadata: { finalizers: null } } },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
    );
    assert.equal(getCm('held'), undefined);
    await until('DELETED', () => w.events.some((e) => e.type === 'DELETED'));
    w.stop();
    assert.deepEqual(
      w.events.map((e) => e.type),
      ['MODIFIED', 'DELETED'],
    );
  });

  test('a terminating pod with a finalizer outlives its grace-0 delete until the finalizer goes', async () => {
    await core.createNamespacedPod({
      namespace: NS,
      body: {
        metadata: { name: 'fin', finalizers: ['example.com/keep'] },
        spec: { nodeName: 'n1', containers: [{ name: 'c', image: 'x' }] },
      },
    });
    await core.deleteNamespacedPod({ namespace: NS, name: 'fin', gracePeriodSeconds: 0 });
    assert.equal(api.get('v1', 'Pod', NS, 'fin')?.metadata?.deletionGracePeriodSeconds, 0);
    await core.patchNamespacedPod(
      { namespace: NS, name: 'fin', body: { metadata: { finalizers: null } } },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
    );
    assert.equal(api.get('v1', 'Pod', NS, 'fin'), undefined);
  });
});

describe('ownerReference cascading', () => {
  test('background (the default): dependents go after the owner; another live owner keeps one', async () => {
    const owner = await core.createNamespacedConfigMap({ namespace: NS, body: cm('bg-owner') });
    const other = await core.createNamespacedConfigMap({ namespace: NS, body: cm('bg-other') });
    await core.createNamespacedConfigMap({
      namespace: NS,
      body: cm('bg-dep', { ownerReferences: [ownedBy(owner)] }),
    });
    await core.createNamespacedConfigMap({
      namespace: NS,
      body: cm('bg-shared', { ownerReferences: [ownedBy(owner), ownedBy(other)] }),
    });
    await core.createNamespacedPod({
      namespace: NS,
      body: {
        metadata: { name: 'bg-pod', ownerReferences: [ownedBy(owner)] },
        spec: { nodeName: 'n1', containers: [{ name: 'c', image: 'x' }] },
      },
    });
    // A same-named object with another UID is not the owner.
    await core.createNamespacedConfigMap({
      namespace: NS,
      body: cm('bg-stranger', { ownerReferences: [{ ...ownedBy(other), name: 'bg-owner' }] }),
    });
    const start = api.store.currentRv;
    await core.deleteNamespacedConfigMap({ namespace: NS, name: 'bg-owner' });
    assert.equal(getCm('bg-owner'), undefined, 'the owner goes at once');
    await until('bg-dep collected', () => getCm('bg-dep') === undefined);
    const pod = await until(
      'bg-pod terminating',
      () => api.get('v1', 'Pod', NS, 'bg-pod')?.metadata?.deletionTimestamp,
    );
    assert.ok(pod, 'a pod dependent is deleted gracefully');
    const shared = await until('the dangling reference removed', () => {
      const s = getCm('bg-shared');
      return s?.metadata?.ownerReferences?.length === 1 ? s : undefined;
    });
    assert.equal(
      (shared.metadata?.ownerReferences as k8s.V1OwnerReference[] | undefined)?.[0]?.name,
      'bg-other',
    );
    assert.ok(getCm('bg-stranger'), 'kept');
    const deleted = api.store.history
      .filter((e) => e.rv > start && e.type === 'DELETED')
      .map((e) => e.object.metadata?.name);
    assert.deepEqual(deleted, ['bg-owner', 'bg-dep'], 'the owner first, then its dependent');
  });

  test('orphan: the owner waits on the orphan finalizer, dependents lose the reference and stay', async () => {
    const owner = await core.createNamespacedConfigMap({ namespace: NS, body: cm('or-owner') });
    await core.createNamespacedConfigMap({
      namespace: NS,
      body: cm('or-dep', { ownerReferences: [ownedBy(owner)] }),
    });
    const start = api.store.currentRv;
    await core.deleteNamespacedConfigMap({ namespace: NS, name: 'or-owner', propagationPolicy: 'Orphan' });
    const marked = api.store.history.find((e) => e.rv > start);
    assert.deepEqual(marked?.object.metadata?.finalizers, ['orphan']);
    assert.ok(marked?.object.metadata?.deletionTimestamp);
    await until('the owner gone', () => getCm('or-owner') === undefined);
    assert.equal(getCm('or-dep')?.metadata?.ownerReferences, undefined);
    const events = api.store.history
      .filter((e) => e.rv > start)
      .map((e) => `${e.type} ${e.object.metadata?.name}`);
    // Removing the last finalizer deletes without a MODIFIED in between, as the registry does.
    assert.deepEqual(events, ['MODIFIED or-owner', 'MODIFIED or-dep', 'DELETED or-owner']);
  });

  test('foreground: the owner stays until its blocking dependents are gone', async () => {
    const owner = await core.createNamespacedConfigMap({ namespace: NS, body: cm('fg-owner') });
    await core.createNamespacedConfigMap({
      namespace: NS,
      body: cm('fg-dep', { ownerReferences: [ownedBy(owner, true)], finalizers: ['example.com/slow'] }),
    });
    await core.deleteNamespacedConfigMap({
      namespace: NS,
      name: 'fg-owner',
      propagationPolicy: 'Foreground',
    });
    await until('the dependent deleting', () => getCm('fg-dep')?.metadata?.deletionTimestamp);
    await new Promise((r) => setTimeout(r, 50));
    assert.deepEqual(getCm('fg-owner')?.metadata?.finalizers, ['foregroundDeletion'], 'waits for fg-dep');
    assert.deepEqual(
      getCm('fg-dep')?.metadata?.finalizers,
      ['example.com/slow'],
      'its own foreground step done',
    );
    await core.patchNamespacedConfigMap(
      { namespace: NS, name: 'fg-dep', body: { metadata: { finalizers: null } } },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
    );
    await until('both gone', () => getCm('fg-dep') === undefined && getCm('fg-owner') === undefined);
  });

  test('orphanDependents and propagationPolicy together are invalid', async () => {
    await core.createNamespacedConfigMap({ namespace: NS, body: cm('both') });
    const e = await apiError(
      core.deleteNamespacedConfigMap({
        namespace: NS,
        name: 'both',
        orphanDependents: true,
        propagationPolicy: 'Background',
      }),
    );
    assert.equal(e.code, 422);
    assert.ok(getCm('both'));
  });
});
