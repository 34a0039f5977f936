// TLS, bearer tokens, in-cluster files, the request log and the request hooks, through the real
// @kubernetes/client-node.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { request } from 'node:https';
import { after, before, describe, test } from 'node:test';
import * as k8s from '@kubernetes/client-node';
import { ROOT } from '../helpers/paths.js';
import { apiError } from './api-error.js';
import { inClusterCommand } from './incluster.js';
import { type KubeApiServer, startKubeApiServer } from './server.js';

let api: KubeApiServer;
before(async () => {
  api = await startKubeApiServer();
});
after(async () => api.stop());

const clientFor = (kubeconfig: string) => {
  const kc = new k8s.KubeConfig();
  kc.loadFromFile(kubeconfig);
  return kc.makeApiClient(k8s.CoreV1Api);
};

/** A raw HTTPS GET trusting `ca` (undefined: the system roots): status code and body. */
function rawGet(
  path: string,
  headers: Record<string, string>,
  ca?: string,
): Promise<{ code: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(`${api.url}${path}`, { headers, ...(ca ? { ca } : {}) }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => {
        body += c.toString();
      });
      res.on('end', () => resolve({ code: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('test kube-apiserver: TLS and authentication', () => {
  test('serves HTTPS with a certificate only its CA verifies', async () => {
    assert.match(api.url, /^https:\/\/127\.0\.0\.1:\d+$/);
    assert.equal((await rawGet('/version', { Authorization: 'Bearer test-token' }, api.caCert)).code, 200);
    await assert.rejects(rawGet('/version', {}), /self-signed|unable to verify|certificate/i);
  });

  const cases: { name: string; headers: Record<string, string>; code: number }[] = [
    { name: 'no Authorization header', headers: {}, code: 401 },
    { name: 'an unknown token', headers: { Authorization: 'Bearer nope' }, code: 401 },
    { name: 'basic auth', headers: { Authorization: 'Basic YTpi' }, code: 401 },
    { name: 'the admin token', headers: { Authorization: 'Bearer test-token' }, code: 200 },
  ];
  for (const c of cases) {
    test(`${c.name} → ${c.code}`, async () => {
      const res = await rawGet('/api/v1/namespaces', c.headers, api.caCert);
      assert.equal(res.code, c.code);
      if (c.code === 401) {
        assert.deepEqual(JSON.parse(res.body), {
          kind: 'Status',
          apiVersion: 'v1',
          metadata: {},
          status: 'Failure',
          message: 'Unauthorized',
          reason: 'Unauthorized',
          code: 401,
        });
      }
    });
  }

  test('a forged token fails the client with 401, and the log has no user', async () => {
    const path = api.kubeconfigFor({ username: 'someone', groups: [] });
    const bad = new k8s.KubeConfig();
    bad.loadFromFile(path);
    bad.users[0] = { name: 'test', token: 'forged' };
    await assert.rejects(bad.makeApiClient(k8s.CoreV1Api).readNamespace({ name: 'default' }), { code: 401 });
    const last = api.requests.at(-1)!;
    assert.equal(last.code, 401);
    assert.equal(last.user, undefined);
  });

  test('service-account tokens authenticate as system:serviceaccount:NS:NAME with its groups', async () => {
    const files = api.inCluster('kube-system', 'trunkline-node');
    const kc = new k8s.KubeConfig();
    Object.assign(process.env, files.env);
    try {
      kc.loadFromCluster(files.root);
    } finally {
      delete process.env.KUBERNETES_SERVICE_HOST;
      delete process.env.KUBERNETES_SERVICE_PORT;
    }
    assert.equal(kc.getCurrentCluster()?.server, api.url);
    assert.equal(kc.getContextObject(kc.currentContext)?.namespace, 'kube-system');
    await apiError(kc.makeApiClient(k8s.CoreV1Api).listNamespacedPod({ namespace: 'kube-system' }));
    const entry = api.requests.at(-1)!;
    assert.deepEqual(entry.user, {
      username: 'system:serviceaccount:kube-system:trunkline-node',
      groups: ['system:serviceaccounts', 'system:serviceaccounts:kube-system', 'system:authenticated'],
    });
    assert.equal(entry.verb, 'list');
    assert.equal(entry.plural, 'pods');
    assert.equal(entry.namespace, 'kube-system');
    assert.equal(entry.allowed, false);
    assert.equal(entry.code, 403);
  });
});

function run(
  argv: string[],
  opts: { cwd: string; env: NodeJS.ProcessEnv },
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(argv[0]!, argv.slice(1), { ...opts, timeout: 60_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stdout, stderr });
    });
  });
}

describe('test kube-apiserver: in-cluster mode as a pod sees it', () => {
  test('loadFromCluster() without a prefix, in a mount namespace with the service-account files', async () => {
    const files = api.inCluster('kube-system', 'trunkline-node');
    const script = [
      "import * as k8s from '@kubernetes/client-node';",
      'const kc = new k8s.KubeConfig();',
      'kc.loadFromCluster();',
      "const ns = await kc.makeApiClient(k8s.CoreV1Api).readNamespace({ name: 'kube-system' }).catch((e) => e.code);",
      'console.log(kc.getCurrentCluster().server, ns);',
    ].join('\n');
    const argv = inClusterCommand(files, [process.execPath, '--input-type=module', '-e', script]);
    const { KUBECONFIG: _, ...env } = process.env;
    // Asynchronous: the API server runs in this process.
    const r = await run(argv, { cwd: ROOT, env: { ...env, ...files.env } });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim(), `${api.url} 403`);
    const entry = api.requests.filter((q) => q.name === 'kube-system' && q.plural === 'namespaces').at(-1)!;
    assert.equal(entry.user?.username, 'system:serviceaccount:kube-system:trunkline-node');
    assert.equal(entry.code, 403);
    assert.equal(existsSync('/run/secrets'), false, 'nothing was mounted or created on the host');
  });
});

describe('test kube-apiserver: request log and hooks', () => {
  test('each request is logged with user, verb, resource, namespace, name, subresource and code', async () => {
    const core = clientFor(api.kubeconfigPath);
    await core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: 'log-me' } } });
    await core.readNamespacedConfigMap({ namespace: 'default', name: 'log-me' });
    await apiError(core.readNamespacedConfigMap({ namespace: 'default', name: 'absent' }));
    const mine = api.requests.filter((r) => r.plural === 'configmaps').slice(-3);
    assert.deepEqual(
      mine.map((r) => [
        r.user?.username,
        r.verb,
        r.apiGroup,
        r.plural,
        r.namespace,
        r.name,
        r.allowed,
        r.code,
      ]),
      [
        ['admin', 'create', '', 'configmaps', 'default', undefined, true, 201],
        ['admin', 'get', '', 'configmaps', 'default', 'log-me', true, 200],
        ['admin', 'get', '', 'configmaps', 'default', 'absent', true, 404],
      ],
    );
  });

  const injected: { name: string; code: number; reason: string }[] = [
    { name: 'conflict', code: 409, reason: 'Conflict' },
    { name: 'internal error', code: 500, reason: 'InternalError' },
    { name: 'throttled', code: 429, reason: 'TooManyRequests' },
  ];
  for (const c of injected) {
    test(`a before-hook injects ${c.code} ${c.name} as a Status`, async () => {
      const core = clientFor(api.kubeconfigPath);
      const off = api.before((r) => (r.name === 'inject-me' ? { fail: { code: c.code } } : undefined));
      try {
        const err = await apiError(core.readNamespace({ name: 'inject-me' }));
        assert.equal(err.code, c.code);
        assert.equal(err.body.reason, c.reason);
        assert.equal(api.requests.at(-1)?.code, c.code);
      } finally {
        off();
      }
      const err = await apiError(core.readNamespace({ name: 'inject-me' }));
      assert.equal(err.code, 404, 'removing the hook restores normal handling');
    });
  }

  test('a before-hook delays a request, and the after-hook sees it complete', async () => {
    const core = clientFor(api.kubeconfigPath);
    const order: string[] = [];
    const offBefore = api.before(async (r) => {
      if (r.name !== 'default' || r.plural !== 'namespaces') return undefined;
      order.push('before');
      return { delayMs: 50 };
    });
    const offAfter = api.after((r) => {
      if (r.name === 'default' && r.plural === 'namespaces') order.push(`after ${r.code}`);
    });
    try {
      await core.readNamespace({ name: 'default' });
      order.push('response');
    } finally {
      offBefore();
      offAfter();
    }
    assert.deepEqual(order, ['before', 'after 200', 'response']);
  });

  test('a before-hook drops the connection: the client sees a transport error, the log no code', async () => {
    const core = clientFor(api.kubeconfigPath);
    const off = api.before((r) => (r.name === 'drop-me' ? { drop: true } : undefined));
    try {
      await assert.rejects(
        core.readNamespace({ name: 'drop-me' }),
        (e: Error) => !('code' in e && typeof e.code === 'number'),
      );
    } finally {
      off();
    }
    const entry = api.requests.filter((r) => r.name === 'drop-me').at(-1)!;
    assert.equal(entry.code, undefined);
  });
});
