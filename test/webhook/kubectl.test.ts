// The admission webhook through the real kubectl 1.32 and the test API server's admission (which
// calls it as kube-apiserver would): every invalid object of the table is refused with the webhook's
// message, its valid counterpart admitted; defaults are mutated in; with the webhook down, system
// namespaces still admit pods and the configured failurePolicy holds elsewhere.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { CASES, FIXTURES, nad, pod, pool } from './cases.js';
import { type Env, setup } from './setup.js';

let env: Env;
before(async () => {
  env = await setup();
  env.api.seed(FIXTURES);
});
after(async () => {
  await env?.stop();
});

const stored = (o: { apiVersion: string; kind: string; metadata: { name: string; namespace?: string } }) =>
  env.api.get(o.apiVersion, o.kind, o.metadata.namespace, o.metadata.name);

test(`table: ${CASES.length} invalid objects refused with the webhook's message, valid ones admitted`, async () => {
  assert.ok(CASES.length >= 30);
  for (const c of CASES) {
    const before = JSON.stringify(stored(c.bad as never) ?? null);
    const bad = await env.apply(c.bad);
    assert.notEqual(bad.code, 0, `${c.what}: kubectl admitted ${JSON.stringify(c.bad)}`);
    assert.match(
      bad.stderr,
      new RegExp(`admission webhook "${c.webhook.replaceAll('.', '\\.')}" denied the request: `),
      c.what,
    );
    assert.ok(bad.stderr.includes(c.expect), `${c.what}: expected "${c.expect}" in: ${bad.stderr}`);
    assert.equal(
      JSON.stringify(stored(c.bad as never) ?? null),
      before,
      `${c.what}: the refused write changed the store`,
    );
    const good = await env.apply(c.good);
    assert.equal(good.code, 0, `${c.what}: valid counterpart refused: ${good.stderr}`);
    assert.ok(stored(c.good as never), c.what);
  }
});

test('mutating webhook defaults ipVersion from the subnet', async () => {
  const r = await env.apply(pool('defaulted-v6', { subnet: 'fd00:20::/64', ips: ['fd00:20::10'] }));
  assert.equal(r.code, 0, r.stderr);
  const got = env.api.get('spiderpool.spidernet.io/v2beta1', 'SpiderIPPool', undefined, 'defaulted-v6');
  assert.equal((got?.spec as { ipVersion?: number } | undefined)?.ipVersion, 6);
});

test('system namespaces are never sent to the pod webhook (namespaceSelector)', async () => {
  const r = await env.apply(pod('kube-system', 'sys-up', { 'k8s.v1.cni.cncf.io/networks': 'no-such-net' }));
  assert.equal(r.code, 0, r.stderr);
  const refused = await env.apply(
    pod('default', 'user-up', { 'k8s.v1.cni.cncf.io/networks': 'no-such-net' }),
  );
  assert.match(refused.stderr, /admission webhook "pod\.validate\.trunkline\.io" denied the request/);
});

test('webhook down: system-namespace and other pods admitted (Ignore), pools and NADs refused (Fail)', async () => {
  await env.webhook?.close();
  env.webhook = undefined;
  try {
    const sys = await env.apply(
      pod('kube-system', 'sys-pod', { 'k8s.v1.cni.cncf.io/networks': 'not-checked' }),
    );
    assert.equal(sys.code, 0, sys.stderr);
    const user = await env.apply(
      pod('default', 'user-pod', { 'k8s.v1.cni.cncf.io/networks': 'macvlan-100' }),
    );
    assert.equal(user.code, 0, user.stderr);
    const p = await env.apply(pool('while-down', { subnet: '10.50.0.0/24' }));
    assert.notEqual(p.code, 0);
    assert.match(p.stderr, /failed calling webhook "ippool\.(mutate|validate)\.trunkline\.io"/);
    const n = await env.apply(
      nad('default', 'while-down', { cniVersion: '1.0.0', name: 'x', type: 'bridge' }),
    );
    assert.match(n.stderr, /failed calling webhook "nad\.validate\.trunkline\.io"/);
  } finally {
    await env.startWebhook();
  }
  const p = await env.apply(pool('while-down', { subnet: '10.50.0.0/24' }));
  assert.equal(p.code, 0, p.stderr);
});
