// In-cluster mode exactly as a pod sees it: KUBERNETES_SERVICE_HOST/PORT, the service account's
// token and CA in its mounted directory, HTTPS to the test API server, RBAC for that account.
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CachedKubernetesSource } from '../../../src/cluster/kubernetes/cached.js';
import { KubernetesSource } from '../../../src/cluster/kubernetes/source.js';
import { CniError, Code } from '../../../src/cni/errors.js';
import { type InClusterFiles, type KubeApiServer, startKubeApiServer } from '../../kube-apiserver/server.js';
import { OBJECTS } from '../contract.js';

let api: KubeApiServer;
const SA = 'system:serviceaccount:kube-system:trunkline-node';

const role = (name: string, subject: string) => [
  {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRole',
    metadata: { name },
    rules: [
      { apiGroups: [''], resources: ['pods', 'namespaces', 'nodes'], verbs: ['get', 'list', 'watch'] },
      {
        apiGroups: ['k8s.cni.cncf.io', 'spiderpool.spidernet.io'],
        resources: ['network-attachment-definitions', 'spiderippools', 'spiderreservedips'],
        verbs: ['get', 'list', 'watch'],
      },
    ],
  },
  {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRoleBinding',
    metadata: { name },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name },
    subjects: [{ kind: 'ServiceAccount', namespace: 'kube-system', name: subject }],
  },
];

before(async () => {
  api = await startKubeApiServer();
  api.seed(OBJECTS);
  api.seed([...role('trunkline-node', 'trunkline-node'), ...role('trunkline-rotated', 'rotated')]);
});
after(() => api.stop());

const KEYS = ['KUBERNETES_SERVICE_HOST', 'KUBERNETES_SERVICE_PORT', 'TRUNKLINE_SERVICEACCOUNT_DIR'] as const;

/** Runs `fn` with the pod's environment, restoring the test process's afterwards. */
async function asPod<T>(
  files: InClusterFiles | undefined,
  env: Record<string, string>,
  fn: () => Promise<T>,
) {
  const saved = KEYS.map((k) => [k, process.env[k]] as const);
  for (const k of KEYS) delete process.env[k];
  Object.assign(process.env, files?.env ?? {}, files ? { TRUNKLINE_SERVICEACCOUNT_DIR: files.dir } : {}, env);
  try {
    return await fn();
  } finally {
    for (const [k, v] of saved) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
}

const watching = (from: number) =>
  api.requests.slice(from).some((r) => r.verb === 'watch' && r.plural === 'spiderippools' && r.code === 200);
const usersSince = (from: number) => new Set(api.requests.slice(from).map((r) => r.user?.username));

describe('in-cluster mode', () => {
  it('reads through HTTPS with the service account token, allowed by its RBAC', async () => {
    const files = api.inCluster('kube-system', 'trunkline-node');
    const from = api.requests.length;
    const pod = await asPod(files, {}, () => new KubernetesSource().getPod('team-a', 'web'));
    assert.equal(pod?.nodeName, 'node-a');
    assert.deepEqual([...usersSince(from)], [SA]);
    assert.ok(api.requests.slice(from).every((r) => r.allowed === true && r.code === 200));
  });

  it('the watch-backed source lists and watches as the service account', async () => {
    const files = api.inCluster('kube-system', 'trunkline-node');
    const from = api.requests.length;
    const s = new CachedKubernetesSource({ nodeName: 'node-a' });
    try {
      await asPod(files, {}, async () => {
        s.start();
        await s.whenSynced();
      });
      assert.equal((await s.listIPPools()).length, 1);
      for (let i = 0; i < 200 && !watching(from); i++) await new Promise((r) => setTimeout(r, 25));
      assert.ok(watching(from), 'the pool watch is established');
      assert.deepEqual([...usersSince(from)], [SA]);
    } finally {
      await s.stop();
    }
  });

  it('a rotated token is used from the next request on (bound tokens expire)', async () => {
    const files = api.inCluster('kube-system', 'trunkline-node');
    await asPod(files, {}, async () => {
      const src = new KubernetesSource();
      let from = api.requests.length;
      await src.getNamespace('team-a');
      assert.deepEqual([...usersSince(from)], [SA]);
      // As the kubelet does: write the new token beside, then swap it in.
      const next = join(files.dir, '.token.new');
      writeFileSync(next, api.serviceAccountToken('kube-system', 'rotated'));
      renameSync(next, join(files.dir, 'token'));
      from = api.requests.length;
      await src.getNamespace('team-a');
      assert.deepEqual([...usersSince(from)], ['system:serviceaccount:kube-system:rotated']);
    });
  });

  it('a kubeconfig rewritten with a rotated token is reloaded (Multus thin mode #852)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kubeconfig-rotate-'));
    try {
      const path = join(dir, 'trunkline.kubeconfig');
      copyFileSync(api.kubeconfigFor({ username: SA, groups: ['system:serviceaccounts'] }), path);
      const src = new KubernetesSource({ kubeconfig: path });
      let from = api.requests.length;
      await src.getNamespace('team-a');
      assert.deepEqual([...usersSince(from)], [SA]);
      const rotated = 'system:serviceaccount:kube-system:rotated';
      const next = join(dir, '.new');
      copyFileSync(api.kubeconfigFor({ username: rotated, groups: ['system:serviceaccounts'] }), next);
      renameSync(next, path);
      from = api.requests.length;
      await src.getNamespace('team-a');
      assert.deepEqual([...usersSince(from)], [rotated]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('names what is missing: the service environment, the token file', async () => {
    const expectInvalid = (re: RegExp) => (e: unknown) => {
      assert.ok(e instanceof CniError, String(e));
      assert.equal(e.code, Code.InvalidConfig);
      assert.match(e.message, re);
      return true;
    };
    const files = api.inCluster('kube-system', 'trunkline-node');
    await asPod(files, { KUBERNETES_SERVICE_HOST: '' }, () =>
      assert.rejects(
        new KubernetesSource().getPod('team-a', 'web'),
        expectInvalid(/KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT must be set/),
      ),
    );
    rmSync(join(files.dir, 'token'));
    await asPod(files, {}, () =>
      assert.rejects(
        new KubernetesSource().getPod('team-a', 'web'),
        expectInvalid(new RegExp(`service-account token ${join(files.dir, 'token')} is not readable`)),
      ),
    );
  });

  it('a source that started before the token was mounted works once it is there', async () => {
    const files = api.inCluster('kube-system', 'trunkline-node');
    const token = join(files.dir, 'token');
    const saved = api.serviceAccountToken('kube-system', 'trunkline-node');
    rmSync(token);
    await asPod(files, {}, async () => {
      const src = new KubernetesSource();
      await assert.rejects(src.getNamespace('team-a'), /not readable/);
      writeFileSync(token, saved);
      assert.ok(await src.getNamespace('team-a'));
    });
  });
});
