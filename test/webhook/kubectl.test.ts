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

test("mutating webhook sets Spiderpool's pool defaults: finalizer, ipVersion, CIDR label, merged ranges", async () => {
  const r = await env.apply(
    pool('defaulted-v6', {
      subnet: 'fd00:20::/64',
      ips: ['fd00:20::30-fd00:20::40', 'fd00:20::10', 'fd00:20::35-fd00:20::50', 'fd00:20::11'],
      excludeIPs: ['fd00:20::45', 'fd00:20::44'],
    }),
  );
  assert.equal(r.code, 0, r.stderr);
  const got = env.api.get('spiderpool.spidernet.io/v2beta1', 'SpiderIPPool', undefined, 'defaulted-v6');
  const { ipVersion, ips, excludeIPs } = (got?.spec ?? {}) as Record<string, unknown>;
  assert.deepEqual(
    { ipVersion, ips, excludeIPs },
    {
      ipVersion: 6,
      ips: ['fd00:20::10-fd00:20::11', 'fd00:20::30-fd00:20::50'],
      excludeIPs: ['fd00:20::44-fd00:20::45'],
    },
  );
  assert.equal(got?.metadata?.labels?.['ipam.spidernet.io/ippool-cidr'], 'fd00-20---64');
  assert.deepEqual(got?.metadata?.finalizers, ['spiderpool.spidernet.io']);
  // An update that changes the subnet moves the label with it.
  const v4 = await env.apply(pool('defaulted-v4', { subnet: '10.31.0.0/24', ips: ['10.31.0.9'] }));
  assert.equal(v4.code, 0, v4.stderr);
  const l = env.api.get('spiderpool.spidernet.io/v2beta1', 'SpiderIPPool', undefined, 'defaulted-v4');
  assert.equal(l?.metadata?.labels?.['ipam.spidernet.io/ippool-cidr'], '10-31-0-0-24');
});

test("mutating webhook sets Spiderpool's SpiderMultusConfig defaults", async () => {
  const smc = (name: string, spec: Record<string, unknown>) => ({
    apiVersion: 'spiderpool.spidernet.io/v2beta1',
    kind: 'SpiderMultusConfig',
    metadata: { name, namespace: 'default' },
    spec,
  });
  const get = (name: string) =>
    env.api.get('spiderpool.spidernet.io/v2beta1', 'SpiderMultusConfig', 'default', name)?.spec as
      | Record<string, Record<string, unknown>>
      | undefined;
  const a = await env.apply(
    smc('defaults-bond', {
      cniType: 'macvlan',
      macvlan: { master: ['eth1', 'eth2'], bond: { name: 'bond0', mode: 1 } },
    }),
  );
  assert.equal(a.code, 0, a.stderr);
  const bond = get('defaults-bond');
  assert.equal(bond?.macvlan?.['vlanID'], 0);
  const pools = bond?.macvlan?.['ippools'] as Record<string, unknown> | undefined;
  assert.deepEqual([pools?.['ipv4'], pools?.['ipv6']], [[], []]);
  assert.deepEqual(bond?.macvlan?.['bond'], { name: 'bond0', mode: 1, options: '' });
  const spiderpool = {
    mode: 'auto',
    hijackCIDR: [],
    detectGateway: false,
    detectIPConflict: false,
    vethLinkAddress: '',
    podMACPrefix: '',
    podDefaultRouteNIC: '',
    hostRPFilter: 0,
    podRPFilter: 0,
    tunePodRoutes: true,
  };
  // The CRD's own defaults (hostRuleTable, txQueueLen) come on top.
  for (const [k, v] of Object.entries(spiderpool)) assert.deepEqual(bond?.coordinator?.[k], v, k);
  assert.deepEqual(bond?.['chainCNIJsonData'], []);
  const b = await env.apply(
    smc('defaults-given', {
      cniType: 'macvlan',
      macvlan: { master: ['eth1'], vlanID: 7, ippools: { ipv4: ['base-v4'] } },
      coordinator: { mode: 'underlay', hijackCIDR: ['10.96.0.0/12'] },
    }),
  );
  assert.equal(b.code, 0, b.stderr);
  const given = get('defaults-given');
  assert.equal(given?.macvlan?.['vlanID'], 7, 'a set field is kept');
  const givenPools = (given?.macvlan?.['ippools'] ?? {}) as Record<string, unknown>;
  assert.deepEqual(givenPools['ipv4'], ['base-v4']);
  assert.equal(givenPools['ipv6'], undefined, 'ippools given: kept as is');
  assert.equal(given?.coordinator?.['mode'], 'underlay');
  assert.deepEqual(given?.coordinator?.['hijackCIDR'], ['10.96.0.0/12']);
  assert.equal(given?.coordinator?.['podDefaultRouteNIC'], '');
  const c = await env.apply(smc('defaults-custom', { customCNI: '{"cniVersion":"1.0.0","type":"bridge"}' }));
  assert.equal(c.code, 0, c.stderr);
  const custom = get('defaults-custom') as Record<string, unknown> | undefined;
  assert.equal(custom?.['cniType'], 'custom');
  assert.equal(custom?.['enableCoordinator'], false);
  assert.equal(custom?.['coordinator'], undefined, 'a custom config gets no coordinator');
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
