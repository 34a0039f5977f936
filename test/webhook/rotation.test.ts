// Certificate rotation with a short validity: the webhook makes its own CA and certificate
// (src/webhook/certs.ts), publishes the CA into both configurations' caBundle through the API, and
// renews both while kubectl applies pools in a loop; no request may fail.
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { after, before, test } from 'node:test';
import { loadClients } from '../../src/cluster/kubernetes/client.js';
import { CertRotator, caBundlePublisher } from '../../src/webhook/rotate.js';
import { pool } from './cases.js';
import { type Env, SERVICE_DNS, setup } from './setup.js';

let env: Env;
let rotator: CertRotator | undefined;
before(async () => {
  env = await setup();
});
after(async () => {
  rotator?.stop();
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

test('serving certificate and caBundle renewed while kubectl applies; no request fails', async () => {
  const clients = await loadClients(env.api.kubeconfigPath);
  rotator = await CertRotator.create({
    dnsNames: [SERVICE_DNS],
    validityMs: 9_000,
    publish: caBundlePublisher(clients, 'trunkline'),
  });
  const server = env.webhook!;
  server.setCertificate(rotator.certs.cert, rotator.certs.key);
  await rotator.start(server);
  const firstCa = rotator.certs.caCert;
  assert.ok(
    bundle().every((b) => b === firstCa),
    'the webhook published its own CA',
  );
  let i = 0;
  const cas = new Set<string>();
  while (rotator.rotations < 2) {
    const r = await env.apply(pool(`rot-${i}`, { subnet: `10.60.${i % 250}.0/24` }));
    assert.equal(r.code, 0, `apply ${i} during rotation failed: ${r.stderr}`);
    cas.add(rotator.certs.caCert);
    i++;
  }
  const refused = await env.apply(pool('rot-bad', { subnet: '10.61.0.0/33' }));
  assert.match(refused.stderr, /admission webhook "ippool\.validate\.trunkline\.io" denied the request/);
  const now = rotator.certs;
  assert.notEqual(now.caCert, firstCa);
  assert.ok(new X509Certificate(now.cert).checkIssued(new X509Certificate(now.caCert)));
  for (const b of bundle()) assert.ok(b.includes(now.caCert), 'the current CA is published');
  assert.ok(
    bundle().every((b) => !b.includes(firstCa)),
    'the CA two rotations old left the bundle',
  );
  assert.ok(i >= 2, `applies during rotation: ${i}`);
});
