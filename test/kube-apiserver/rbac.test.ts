// RBAC enforcement from stored Roles/ClusterRoles/bindings, through the real client, with
// kube-apiserver's exact Forbidden messages.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import * as k8s from '@kubernetes/client-node';
import { apiError } from './api-error.js';
import { serviceAccountUser } from './auth.js';
import { type KubeApiServer, startKubeApiServer } from './server.js';

let api: KubeApiServer;
const SA = 'system:serviceaccount:team-a:agent';
const rbac = 'rbac.authorization.k8s.io/v1';

before(async () => {
  api = await startKubeApiServer();
  api.seed([
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'team-a' } },
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'team-b' } },
    ...['team-a', 'team-b'].map((ns) => ({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'web', namespace: ns },
      spec: { containers: [{ name: 'c', image: 'i' }] },
    })),
    ...['allowed-cm', 'secret-cm'].map((name) => ({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name, namespace: 'team-a' },
    })),
    {
      apiVersion: 'spiderpool.spidernet.io/v2beta1',
      kind: 'SpiderIPPool',
      metadata: { name: 'pool' },
      spec: {},
    },
    {
      apiVersion: rbac,
      kind: 'Role',
      metadata: { name: 'pods', namespace: 'team-a' },
      rules: [
        { apiGroups: [''], resources: ['pods'], verbs: ['get', 'list', 'watch'] },
        { apiGroups: [''], resources: ['pods/status'], verbs: ['update', 'patch'] },
        { apiGroups: [''], resources: ['configmaps'], resourceNames: ['allowed-cm'], verbs: ['get'] },
      ],
    },
    {
      apiVersion: rbac,
      kind: 'RoleBinding',
      metadata: { name: 'agent-pods', namespace: 'team-a' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'pods' },
      subjects: [{ kind: 'ServiceAccount', name: 'agent', namespace: 'team-a' }],
    },
    {
      apiVersion: rbac,
      kind: 'ClusterRole',
      metadata: { name: 'pools-aggregate' },
      aggregationRule: {
        clusterRoleSelectors: [{ matchLabels: { 'trunkline.io/aggregate-to-pools': 'true' } }],
      },
    },
    {
      apiVersion: rbac,
      kind: 'ClusterRole',
      metadata: { name: 'pools-read', labels: { 'trunkline.io/aggregate-to-pools': 'true' } },
      rules: [
        { apiGroups: ['spiderpool.spidernet.io'], resources: ['spiderippools'], verbs: ['get', 'list'] },
      ],
    },
    {
      apiVersion: rbac,
      kind: 'ClusterRoleBinding',
      metadata: { name: 'agent-pools' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'pools-aggregate' },
      subjects: [{ kind: 'ServiceAccount', name: 'agent', namespace: 'team-a' }],
    },
    {
      apiVersion: rbac,
      kind: 'ClusterRole',
      metadata: { name: 'everything-on-configmaps' },
      rules: [{ apiGroups: ['*'], resources: ['configmaps'], verbs: ['*'] }],
    },
    {
      apiVersion: rbac,
      kind: 'RoleBinding',
      metadata: { name: 'ops-configmaps', namespace: 'team-b' },
      roleRef: {
        apiGroup: 'rbac.authorization.k8s.io',
        kind: 'ClusterRole',
        name: 'everything-on-configmaps',
      },
      subjects: [{ kind: 'Group', name: 'ops' }],
    },
  ]);
});
after(async () => api.stop());

function clients(kubeconfig: string) {
  const kc = new k8s.KubeConfig();
  kc.loadFromFile(kubeconfig);
  return { core: kc.makeApiClient(k8s.CoreV1Api), custom: kc.makeApiClient(k8s.CustomObjectsApi) };
}
type Clients = ReturnType<typeof clients>;

interface Case {
  name: string;
  who: 'sa' | 'ops';
  call: (c: Clients) => Promise<unknown>;
  /** undefined: allowed; otherwise the exact 403 message. */
  forbidden?: string;
}

const cases: Case[] = [
  {
    name: 'get a pod in the Role namespace',
    who: 'sa',
    call: (c) => c.core.readNamespacedPod({ namespace: 'team-a', name: 'web' }),
  },
  {
    name: 'get a pod in another namespace',
    who: 'sa',
    call: (c) => c.core.readNamespacedPod({ namespace: 'team-b', name: 'web' }),
    forbidden: `pods "web" is forbidden: User "${SA}" cannot get resource "pods" in API group "" in the namespace "team-b"`,
  },
  {
    name: 'list pods across namespaces',
    who: 'sa',
    call: (c) => c.core.listPodForAllNamespaces(),
    forbidden: `pods is forbidden: User "${SA}" cannot list resource "pods" in API group "" at the cluster scope`,
  },
  {
    name: 'create a pod (verb not granted)',
    who: 'sa',
    call: (c) =>
      c.core.createNamespacedPod({
        namespace: 'team-a',
        body: { metadata: { name: 'new' }, spec: { containers: [{ name: 'c', image: 'i' }] } },
      }),
    forbidden: `pods is forbidden: User "${SA}" cannot create resource "pods" in API group "" in the namespace "team-a"`,
  },
  {
    name: 'update pods/status (subresource granted)',
    who: 'sa',
    call: async (c) => {
      const p = await c.core.readNamespacedPod({ namespace: 'team-a', name: 'web' });
      return c.core.replaceNamespacedPodStatus({ namespace: 'team-a', name: 'web', body: p });
    },
  },
  {
    name: 'update the pod itself (only the subresource is granted)',
    who: 'sa',
    call: async (c) => {
      const p = await c.core.readNamespacedPod({ namespace: 'team-a', name: 'web' });
      return c.core.replaceNamespacedPod({ namespace: 'team-a', name: 'web', body: p });
    },
    forbidden: `pods "web" is forbidden: User "${SA}" cannot update resource "pods" in API group "" in the namespace "team-a"`,
  },
  {
    name: 'get a configmap named in resourceNames',
    who: 'sa',
    call: (c) => c.core.readNamespacedConfigMap({ namespace: 'team-a', name: 'allowed-cm' }),
  },
  {
    name: 'get a configmap not named in resourceNames',
    who: 'sa',
    call: (c) => c.core.readNamespacedConfigMap({ namespace: 'team-a', name: 'secret-cm' }),
    forbidden: `configmaps "secret-cm" is forbidden: User "${SA}" cannot get resource "configmaps" in API group "" in the namespace "team-a"`,
  },
  {
    name: 'list pools through an aggregated ClusterRole',
    who: 'sa',
    call: (c) =>
      c.custom.listClusterCustomObject({
        group: 'spiderpool.spidernet.io',
        version: 'v2beta1',
        plural: 'spiderippools',
      }),
  },
  {
    name: 'delete a pool (verb not aggregated)',
    who: 'sa',
    call: (c) =>
      c.custom.deleteClusterCustomObject({
        group: 'spiderpool.spidernet.io',
        version: 'v2beta1',
        plural: 'spiderippools',
        name: 'pool',
      }),
    forbidden: `spiderippools.spiderpool.spidernet.io "pool" is forbidden: User "${SA}" cannot delete resource "spiderippools" in API group "spiderpool.spidernet.io" at the cluster scope`,
  },
  {
    name: 'group subject with verbs * through a RoleBinding to a ClusterRole',
    who: 'ops',
    call: (c) =>
      c.core.createNamespacedConfigMap({ namespace: 'team-b', body: { metadata: { name: 'ops-made' } } }),
  },
  {
    name: 'the same ClusterRole does not reach outside the RoleBinding namespace',
    who: 'ops',
    call: (c) => c.core.listNamespacedConfigMap({ namespace: 'team-a' }),
    forbidden:
      'configmaps is forbidden: User "ops-user" cannot list resource "configmaps" in API group "" in the namespace "team-a"',
  },
];

describe('test kube-apiserver: RBAC', () => {
  for (const c of cases) {
    test(`${c.name}: ${c.forbidden ? 'forbidden' : 'allowed'}`, async () => {
      const user =
        c.who === 'sa' ? serviceAccountUser('team-a', 'agent') : { username: 'ops-user', groups: ['ops'] };
      const client = clients(api.kubeconfigFor(user));
      if (c.forbidden === undefined) {
        await c.call(client);
        assert.equal(api.requests.at(-1)?.allowed, true);
        return;
      }
      const err = await apiError(c.call(client));
      assert.equal(err.code, 403);
      assert.equal(err.body.reason, 'Forbidden');
      assert.equal(err.body.message, c.forbidden);
      const entry = api.requests.at(-1)!;
      assert.equal(entry.allowed, false);
      assert.equal(entry.user?.username, user.username);
    });
  }

  test('system:masters bypasses RBAC; discovery is open to every authenticated user', async () => {
    const admin = clients(api.kubeconfigFor({ username: 'root', groups: ['system:masters'] }));
    await admin.core.listPodForAllNamespaces();
    const nobody = new k8s.KubeConfig();
    nobody.loadFromFile(api.kubeconfigFor({ username: 'nobody', groups: [] }));
    const versions = await nobody.makeApiClient(k8s.CoreApi).getAPIVersions();
    assert.deepEqual(versions.versions, ['v1']);
  });

  test('a new binding takes effect on the next request', async () => {
    const c = clients(api.kubeconfigFor({ username: 'late', groups: [] }));
    assert.equal((await apiError(c.core.listNamespace())).code, 403);
    api.seed([
      {
        apiVersion: rbac,
        kind: 'ClusterRole',
        metadata: { name: 'ns-reader' },
        rules: [{ apiGroups: [''], resources: ['namespaces'], verbs: ['list'] }],
      },
      {
        apiVersion: rbac,
        kind: 'ClusterRoleBinding',
        metadata: { name: 'late-ns' },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'ns-reader' },
        subjects: [{ kind: 'User', name: 'late' }],
      },
    ]);
    const list = await c.core.listNamespace();
    assert.ok(list.items.some((n) => n.metadata?.name === 'team-a'));
  });
});
