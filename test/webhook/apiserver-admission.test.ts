// The test API server's admission (test/kube-apiserver/admission.ts) against a scripted webhook:
// url and service references, caBundle verification, rules and selectors, failurePolicy on
// timeouts and bad answers, mutating JSONPatch before validation, kube-apiserver's wording. Also:
// the webhook component's manifests validate against the upstream admissionregistration schemas.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, request } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import {
  MutatingWebhookConfiguration,
  ValidatingWebhookConfiguration,
} from 'kubernetes-models/admissionregistration.k8s.io/v1';
import { Service } from 'kubernetes-models/v1';
import { parseAllDocuments } from 'yaml';
import { ROOT } from '../helpers/paths.js';
import { type KubeApiServer, startKubeApiServer } from '../kube-apiserver/server.js';
import { makeCerts, type TestCerts } from './certs.js';

type Rec = Record<string, unknown>;
let api: KubeApiServer;
let certs: TestCerts;
let other: TestCerts;
let port = 0;
let dir = '';
const seen: Rec[] = [];
/** What the scripted webhook does with the next review. */
let answer: (req: Rec) => Rec | 'hang' = (req) => ({ uid: req.uid, allowed: true });
const server = () =>
  createServer({ cert: certs.cert, key: certs.key }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const review = JSON.parse(Buffer.concat(chunks).toString()) as { request: Rec };
      seen.push(review.request);
      const a = answer(review.request);
      if (a === 'hang') return;
      res.end(JSON.stringify({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', response: a }));
    });
  });
let hook: ReturnType<typeof server>;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'adm-'));
  certs = makeCerts(dir, 'hook.default.svc', 'a');
  other = makeCerts(dir, 'hook.default.svc', 'b');
  api = await startKubeApiServer();
  hook = server();
  await new Promise<void>((r) => hook.listen(0, '127.0.0.1', r));
  port = (hook.address() as AddressInfo).port;
  api.admission.endpoints.set('default/hook', { host: '127.0.0.1', port });
});
after(async () => {
  hook.closeAllConnections();
  await new Promise((r) => hook.close(r));
  await api.stop();
  rmSync(dir, { recursive: true, force: true });
});

function call(method: string, path: string, body?: unknown): Promise<{ code: number; body: Rec }> {
  const u = new URL(path, api.url);
  return new Promise((resolve, reject) => {
    const req = request(
      u,
      {
        method,
        ca: api.caCert,
        headers: {
          Authorization: `Bearer ${api.token({ username: 'alice', groups: ['system:masters'] })}`,
          'Content-Type': method === 'PATCH' ? 'application/merge-patch+json' : 'application/json',
        },
      },
      (res) => {
        let t = '';
        res.on('data', (c) => {
          t += c;
        });
        res.on('end', () => resolve({ code: res.statusCode ?? 0, body: JSON.parse(t) as Rec }));
      },
    );
    req.on('error', reject);
    req.end(body === undefined ? undefined : JSON.stringify(body));
  });
}

function configure(kind: 'Validating' | 'Mutating', webhook: Rec) {
  const plural = `${kind.toLowerCase()}webhookconfigurations`;
  for (const o of api.list('admissionregistration.k8s.io/v1', `${kind}WebhookConfiguration`))
    api.delete(
      'admissionregistration.k8s.io/v1',
      `${kind}WebhookConfiguration`,
      undefined,
      o.metadata?.name ?? '',
    );
  api.seed([
    {
      apiVersion: 'admissionregistration.k8s.io/v1',
      kind: `${kind}WebhookConfiguration`,
      metadata: { name: plural },
      webhooks: [
        {
          name: `${kind.toLowerCase()}.test.io`,
          clientConfig: {
            service: { namespace: 'default', name: 'hook', path: '/x' },
            caBundle: Buffer.from(certs.ca).toString('base64'),
          },
          rules: [
            {
              apiGroups: [''],
              apiVersions: ['v1'],
              operations: ['CREATE', 'UPDATE'],
              resources: ['configmaps'],
            },
          ],
          admissionReviewVersions: ['v1'],
          sideEffects: 'None',
          ...webhook,
        },
      ],
    },
  ]);
}
const cm = (name: string, labels: Rec = {}) => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name, labels },
  data: { a: '1' },
});

test('a refusal carries kube-apiserver wording and the webhook status code; the review is well formed', async () => {
  configure('Validating', {});
  answer = (r) => ({ uid: r.uid, allowed: false, status: { code: 422, message: 'data.a: 1 is odd' } });
  const r = await call('POST', '/api/v1/namespaces/default/configmaps', cm('c1'));
  assert.equal(r.code, 422);
  assert.equal(r.body.message, 'admission webhook "validating.test.io" denied the request: data.a: 1 is odd');
  const req = seen.at(-1)!;
  assert.equal(req.operation, 'CREATE');
  assert.deepEqual(req.resource, { group: '', version: 'v1', resource: 'configmaps' });
  assert.equal(req.namespace, 'default');
  assert.equal((req.userInfo as Rec).username, 'alice');
  assert.equal(api.get('v1', 'ConfigMap', 'default', 'c1'), undefined);
});

test('mutating JSONPatch is applied before validating webhooks see the object', async () => {
  configure('Validating', {});
  configure('Mutating', {});
  answer = (r) =>
    (r.object as Rec).data && !(r.object as { data: Rec }).data.b
      ? {
          uid: r.uid,
          allowed: true,
          patchType: 'JSONPatch',
          patch: Buffer.from(JSON.stringify([{ op: 'add', path: '/data/b', value: '2' }])).toString('base64'),
        }
      : { uid: r.uid, allowed: true };
  seen.length = 0;
  const r = await call('POST', '/api/v1/namespaces/default/configmaps', cm('c2'));
  assert.equal(r.code, 201, JSON.stringify(r.body));
  assert.deepEqual(api.get('v1', 'ConfigMap', 'default', 'c2')?.data as Rec, { a: '1', b: '2' });
  assert.equal(seen.length, 2);
  assert.deepEqual((seen[1]!.object as { data: Rec }).data, { a: '1', b: '2' });
  configure('Mutating', { rules: [] });
});

test('a certificate not signed by caBundle fails the call; Fail refuses, Ignore admits', async () => {
  configure('Validating', {
    clientConfig: {
      service: { namespace: 'default', name: 'hook' },
      caBundle: Buffer.from(other.ca).toString('base64'),
    },
  });
  answer = (r) => ({ uid: r.uid, allowed: true });
  const r = await call('POST', '/api/v1/namespaces/default/configmaps', cm('c3'));
  assert.equal(r.code, 500);
  assert.match(
    String(r.body.message),
    /^Internal error occurred: failed calling webhook "validating\.test\.io": failed to call webhook: Post "https:\/\/127\.0\.0\.1:\d+\/": /,
  );
  configure('Validating', {
    failurePolicy: 'Ignore',
    clientConfig: { url: `https://127.0.0.1:${port}/`, caBundle: Buffer.from(other.ca).toString('base64') },
  });
  assert.equal((await call('POST', '/api/v1/namespaces/default/configmaps', cm('c3'))).code, 201);
});

test('timeoutSeconds bounds the call; a wrong uid is an invalid response', async () => {
  configure('Validating', { timeoutSeconds: 1 });
  answer = () => 'hang';
  const r = await call('POST', '/api/v1/namespaces/default/configmaps', cm('c4'));
  assert.equal(r.code, 500);
  assert.match(String(r.body.message), /context deadline exceeded/);
  answer = () => ({ uid: 'not-it', allowed: true });
  const w = await call('POST', '/api/v1/namespaces/default/configmaps', cm('c4'));
  assert.match(String(w.body.message), /received invalid webhook response: expected response\.uid=/);
});

test('rules, namespaceSelector and objectSelector decide which writes are sent', async () => {
  answer = (r) => ({ uid: r.uid, allowed: false, status: { message: 'no' } });
  configure('Validating', {
    namespaceSelector: {
      matchExpressions: [{ key: 'kubernetes.io/metadata.name', operator: 'NotIn', values: ['kube-system'] }],
    },
    objectSelector: { matchLabels: { checked: 'yes' } },
  });
  assert.equal((await call('POST', '/api/v1/namespaces/default/configmaps', cm('c5'))).code, 201);
  assert.equal(
    (await call('POST', '/api/v1/namespaces/kube-system/configmaps', cm('c6', { checked: 'yes' }))).code,
    201,
  );
  assert.equal(
    (await call('POST', '/api/v1/namespaces/default/configmaps', cm('c7', { checked: 'yes' }))).code,
    400,
  );
  assert.equal(
    (
      await call('POST', '/api/v1/namespaces/default/secrets', {
        metadata: { name: 's', labels: { checked: 'yes' } },
      })
    ).code,
    201,
  );
  // UPDATE through a merge patch is sent with the old object.
  seen.length = 0;
  const p = await call('PATCH', '/api/v1/namespaces/default/configmaps/c5', {
    metadata: { labels: { checked: 'yes' } },
  });
  assert.equal(p.code, 400);
  assert.equal(seen[0]!.operation, 'UPDATE');
  assert.deepEqual((seen[0]!.oldObject as { metadata: { labels?: Rec } }).metadata.labels ?? {}, {});
});

test('the webhook component validates against the upstream admissionregistration/v1 schemas', () => {
  const models: Record<string, new (d: never) => { validate(): void }> = {
    Service,
    MutatingWebhookConfiguration,
    ValidatingWebhookConfiguration,
  };
  let n = 0;
  for (const f of ['service.yaml', 'webhooks.yaml']) {
    for (const doc of parseAllDocuments(readFileSync(join(ROOT, 'deploy/components/webhook', f), 'utf8'))) {
      const o = doc.toJS() as { kind: string };
      const Model = models[o.kind];
      assert.ok(Model, o.kind);
      assert.doesNotThrow(() => new Model(o as never).validate(), o.kind);
      n++;
    }
  }
  assert.equal(n, 3);
  const broken = {
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'ValidatingWebhookConfiguration',
    metadata: { name: 'x' },
    webhooks: [{ name: 'x', clientConfig: {}, failurePolicy: 5 }],
  };
  assert.throws(() => new ValidatingWebhookConfiguration(broken as never).validate());
});
