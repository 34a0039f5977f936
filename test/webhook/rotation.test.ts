// Certificates as the controller replicas keep them (src/webhook/keeper.ts): two webhook replicas,
// each with its own API client, share a self-signed certificate through a Secret and renew it with a
// short validity while kubectl applies pools in a loop and the "Service" alternates between them;
// no request may fail. A Secret someone else manages (cert-manager) is served and never renewed.
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { connect } from 'node:tls';
import { loadClients } from '../../src/cluster/kubernetes/client.js';
import { KubernetesSource } from '../../src/cluster/kubernetes/source.js';
import { bundlePublisher } from '../../src/webhook/bundle.js';
import { CertKeeper, MANAGED_ANNOTATION } from '../../src/webhook/keeper.js';
import { type RunningWebhook, startWebhook } from '../../src/webhook/start.js';
import { pool } from './cases.js';
import { type Env, SERVICE_DNS, setup } from './setup.js';

let env: Env;
const running: RunningWebhook[] = [];
/** Keeper passes that failed: none may. */
const errors: string[] = [];
before(async () => {
  env = await setup();
});
after(async () => {
  for (const r of running) await r.stop();
  await env?.stop();
});

function bundle(): string[] {
  const c = env.api.get(
    'admissionregistration.k8s.io/v1',
    'ValidatingWebhookConfiguration',
    undefined,
    'trunkline',
  );
  const hooks = (c?.webhooks ?? []) as { clientConfig: { caBundle?: string } }[];
  return hooks.map((w) => Buffer.from(w.clientConfig.caBundle ?? '', 'base64').toString());
}

function secret(name: string): { cert: string; ca: string; rv: string } {
  const s = env.api.get('v1', 'Secret', 'kube-system', name);
  const d = (s?.data ?? {}) as Record<string, string>;
  const un = (k: string) => Buffer.from(d[k] ?? '', 'base64').toString();
  return { cert: un('tls.crt'), ca: un('ca.crt'), rv: String(s?.metadata?.resourceVersion) };
}

async function replica(secretName: string, validityMs: number): Promise<RunningWebhook> {
  const clients = await loadClients(env.api.kubeconfigPath);
  const hook = await startWebhook(
    {
      host: '127.0.0.1',
      port: 0,
      serviceNamespace: 'kube-system',
      serviceName: 'trunkline-webhook',
      configurationName: 'trunkline',
      secretName,
      certValidityMs: validityMs,
      namespaceIsolation: true,
      nonIsolatedNamespaces: ['default'],
      multusNamespace: 'kube-system',
      onError: (e) => errors.push(`${secretName}: ${(e as Error).message}`),
    },
    clients,
    new KubernetesSource({ kubeconfig: env.api.kubeconfigPath }),
  );
  running.push(hook);
  return hook;
}

async function waitReady(hooks: RunningWebhook[]): Promise<void> {
  for (let i = 0; i < 300 && !hooks.every((h) => h.ready()); i++) await new Promise((r) => setTimeout(r, 50));
  assert.ok(
    hooks.every((h) => h.ready()),
    'replicas serve a certificate',
  );
}

/** The certificate a replica presents for the Service's name. */
function presented(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect({ host: '127.0.0.1', port, servername: SERVICE_DNS, rejectUnauthorized: false }, () => {
      const pem = s.getPeerX509Certificate()?.toString() ?? '';
      s.end();
      resolve(pem);
    });
    s.on('error', reject);
  });
}

describe('webhook certificates across replicas', () => {
  it('renewed by the replicas while kubectl applies through both; no request fails', async () => {
    await env.webhook?.close();
    env.webhook = undefined;
    const replicas = [
      await replica('trunkline-webhook-tls', 6_000),
      await replica('trunkline-webhook-tls', 6_000),
    ];
    await waitReady(replicas);
    const first = secret('trunkline-webhook-tls');
    assert.ok(
      bundle().every((b) => b.includes(first.ca)),
      'the shared CA is published',
    );
    const certs = new Set<string>([first.cert]);
    let i = 0;
    for (; certs.size < 3 && i < 400; i++) {
      const r = replicas[i % 2]!;
      env.api.admission.endpoints.set('kube-system/trunkline-webhook', { host: '127.0.0.1', port: r.port });
      const res = await env.apply(pool(`rot-${i}`, { subnet: `10.60.${i % 250}.0/24` }));
      assert.equal(res.code, 0, `apply ${i} through replica ${i % 2} failed: ${res.stderr}`);
      certs.add(secret('trunkline-webhook-tls').cert);
    }
    assert.ok(certs.size >= 3, `two renewals during ${i} applies`);
    const now = secret('trunkline-webhook-tls');
    assert.ok(new X509Certificate(now.cert).checkIssued(new X509Certificate(now.ca)));
    // Both replicas converge on the Secret's certificate within a keeper pass (renewals go on: the
    // Secret is read again on every try).
    const fp = (pem: string) => new X509Certificate(pem).fingerprint256;
    let converged = false;
    for (let k = 0; k < 60 && !converged; k++) {
      const want = fp(secret('trunkline-webhook-tls').cert);
      const seen = await Promise.all(replicas.map((r) => presented(r.port)));
      converged = seen.every((p) => fp(p) === want);
      if (!converged) await new Promise((r) => setTimeout(r, 100));
    }
    assert.ok(converged, `both replicas present the certificate the Secret holds (${errors.join('; ')})`);
    for (const b of bundle())
      assert.ok(b.includes(secret('trunkline-webhook-tls').ca), 'the current CA is published');
    assert.ok(
      bundle().every((b) => !b.includes(first.ca)),
      'the first CA (expired) left the bundle',
    );
    const refused = await env.apply(pool('rot-bad', { subnet: '10.61.0.0/33' }));
    assert.match(refused.stderr, /admission webhook "ippool\.validate\.trunkline\.io" denied the request/);
  });

  it('a Secret without the managed annotation (cert-manager) is served and never renewed', async () => {
    for (const r of running.splice(0)) await r.stop();
    const b64 = (s: string) => Buffer.from(s).toString('base64');
    const made = await env.apply({
      apiVersion: 'v1',
      kind: 'Secret',
      type: 'kubernetes.io/tls',
      metadata: { name: 'external-tls', namespace: 'kube-system' },
      data: { 'tls.crt': b64(env.certs.cert), 'tls.key': b64(env.certs.key), 'ca.crt': b64(env.certs.ca) },
    });
    assert.equal(made.code, 0, made.stderr);
    const before = secret('external-tls');
    // A validity so short that a managed certificate would be renewed on every pass.
    const hook = await replica('external-tls', 2_000);
    await waitReady([hook]);
    env.api.admission.endpoints.set('kube-system/trunkline-webhook', { host: '127.0.0.1', port: hook.port });
    for (let i = 0; i < 5; i++) {
      const r = await env.apply(pool(`ext-${i}`, { subnet: `10.62.${i}.0/24` }));
      assert.equal(r.code, 0, r.stderr);
      await new Promise((res) => setTimeout(res, 300));
    }
    const afterwards = env.api.get('v1', 'Secret', 'kube-system', 'external-tls');
    assert.equal(afterwards?.metadata?.annotations?.[MANAGED_ANNOTATION], undefined);
    assert.equal(secret('external-tls').rv, before.rv, 'the external Secret was never written');
    assert.equal(
      new X509Certificate(await presented(hook.port)).fingerprint256,
      new X509Certificate(env.certs.cert).fingerprint256,
    );
    for (const b of bundle()) assert.ok(b.includes(env.certs.ca.trim()), 'its CA is published');
  });

  it('two replicas renewing at the same moment: one write wins and both serve it', async () => {
    const keeper = async (validityMs: number) => {
      const clients = await loadClients(env.api.kubeconfigPath);
      return new CertKeeper({
        clients,
        namespace: 'kube-system',
        secretName: 'race-tls',
        dnsNames: [SERVICE_DNS],
        validityMs,
        publish: bundlePublisher(clients, 'trunkline'),
      });
    };
    // A certificate with 3 s left: due for keepers that renew when 20 s of 60 s remain.
    const old = await (await keeper(3_000)).sync();
    const [a, b] = [await keeper(60_000), await keeper(60_000)];
    const [sa, sb] = await Promise.all([a.sync(), b.sync()]);
    assert.notEqual(sa.cert, old.cert, 'renewed');
    assert.equal(sa.cert, sb.cert, 'both replicas serve the one certificate that won');
    assert.equal(secret('race-tls').cert, sa.cert);
    for (const bndl of bundle()) assert.ok(bndl.includes(sa.ca.trim()), 'the winner’s CA is published');
  });
});
