// Delegate list construction: order, interface names, overrides, overlay rule, default routes.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { CniError } from '../../src/cni/errors.js';
import { loadMultusConf } from '../../src/multus/config.js';
import { buildDelegates } from '../../src/multus/delegates.js';
import { applyToResult, defaultRoutePlan } from '../../src/multus/routes.js';
import { capabilityArgs, delegateArgs, singleConfStdin } from '../../src/multus/runtime.js';
import { FakeSource } from './fake-source.js';

const code7 = (re: RegExp) => (e: unknown) => e instanceof CniError && e.code === 7 && re.test(e.message);
const macvlan = (master: string) => ({
  cniVersion: '1.0.0',
  type: 'macvlan',
  master,
  capabilities: { mac: true, ips: true },
});

let confDir: string;
const src = new FakeSource();
const base = { cniVersion: '1.0.0', name: 'trunkline', type: 'trunkline' };

before(() => {
  confDir = mkdtempSync(join(tmpdir(), 'multus-deleg-'));
  writeFileSync(
    join(confDir, '10-filenet.conf'),
    JSON.stringify({ cniVersion: '0.4.0', name: 'filenet', type: 'bridge' }),
  );
  src.addNad('kube-system', 'cluster-net', { type: 'ptp' }); // no cniVersion: inherits the meta plugin's
  src.addNad('kube-system', 'macvlan-standalone-vlan0', macvlan('bond0.100'));
  src.addNad('kube-system', 'macvlan-overlay-vlan0', {
    cniVersion: '1.0.0',
    plugins: [
      { type: 'macvlan', master: 'bond0.200' },
      { type: 'trunkline-coordinator', mode: 'overlay' },
    ],
  });
  src.addNad('kube-system', 'dn1', macvlan('eth9'));
  for (const n of ['net-a', 'net-b', 'net-c']) src.addNad('team-a', n, macvlan('eth1'));
});
after(() => rmSync(confDir, { recursive: true, force: true }));

const conf = (extra: Record<string, unknown> = {}) =>
  loadMultusConf({ ...base, clusterNetwork: 'cluster-net', confDir, ...extra });
const build = (c: ReturnType<typeof conf>, podNs: string, annotations: Record<string, string>) =>
  buildDelegates({ conf: c, source: src, pod: src.addPod(podNs, 'p', annotations), ifname: 'eth0' });

describe('buildDelegates', () => {
  test('cluster network first, then annotation networks net<idx>; explicit names consume an index', async () => {
    const ds = await build(conf(), 'team-a', { 'k8s.v1.cni.cncf.io/networks': 'net-a,net-b@custom,net-c' });
    assert.deepEqual(
      ds.map((d) => [d.name, d.ifname, d.master]),
      [
        ['kube-system/cluster-net', 'eth0', true],
        ['team-a/net-a', 'net1', false],
        ['team-a/net-b', 'custom', false],
        ['team-a/net-c', 'net3', false],
      ],
    );
    assert.equal(ds[0]?.config.cniVersion, '1.0.0', 'missing cniVersion inherited');
  });

  test('defaultNetworks come before annotation networks, except in system namespaces', async () => {
    const c = conf({ defaultNetworks: ['dn1'] });
    const ds = await build(c, 'team-a', { 'k8s.v1.cni.cncf.io/networks': 'net-a' });
    assert.deepEqual(
      ds.map((d) => [d.name, d.ifname]),
      [
        ['kube-system/cluster-net', 'eth0'],
        ['kube-system/dn1', 'net1'],
        ['team-a/net-a', 'net2'],
      ],
    );
    const sys = await build(c, 'kube-system', {});
    assert.deepEqual(
      sys.map((d) => d.name),
      ['kube-system/cluster-net'],
    );
  });

  test('the seed pods: default-network override becomes eth0, the overlay network net1', async () => {
    const ds = await build(conf({ clusterNetwork: 'does-not-exist' }), 'default', {
      'v1.multus-cni.io/default-network': 'kube-system/macvlan-standalone-vlan0',
      'k8s.v1.cni.cncf.io/networks': 'kube-system/macvlan-overlay-vlan0',
    });
    assert.deepEqual(
      ds.map((d) => [d.name, d.ifname, d.master, d.overlay]),
      [
        ['kube-system/macvlan-standalone-vlan0', 'eth0', true, false],
        ['kube-system/macvlan-overlay-vlan0', 'net1', false, true],
      ],
    );
  });

  test('an overlay network as the default network is rejected with the network and the reason', async () => {
    await assert.rejects(
      build(conf(), 'default', { 'v1.multus-cni.io/default-network': 'macvlan-overlay-vlan0' }),
      code7(
        /network kube-system\/macvlan-overlay-vlan0 \(NetworkAttachmentDefinition kube-system\/macvlan-overlay-vlan0\) cannot be the default network of pod default\/p: it is marked overlay/,
      ),
    );
    await assert.rejects(
      build(conf({ clusterNetwork: 'macvlan-overlay-vlan0' }), 'default', {}),
      code7(/cannot be the default network/),
    );
  });

  test("an overlay network may own a runtime's additional NIC (podman --network a,b calls eth1)", async () => {
    const ds = await buildDelegates({
      conf: conf({ clusterNetwork: 'macvlan-overlay-vlan0' }),
      source: src,
      pod: src.addPod('default', 'p', {}),
      ifname: 'eth1',
    });
    assert.deepEqual(
      ds.map((d) => [d.name, d.ifname, d.overlay]),
      [['kube-system/macvlan-overlay-vlan0', 'eth1', true]],
    );
  });

  test('interface name clashes are rejected before anything runs', async () => {
    await assert.rejects(
      build(conf(), 'team-a', { 'k8s.v1.cni.cncf.io/networks': 'net-a@net2,net-b' }),
      code7(
        /interface name "net2" is used twice in pod team-a\/p: by network team-a\/net-a and by network team-a\/net-b/,
      ),
    );
    await assert.rejects(
      build(conf(), 'team-a', { 'k8s.v1.cni.cncf.io/networks': 'net-a@eth0' }),
      code7(/"eth0" is used twice/),
    );
  });

  test('namespace isolation denies other namespaces', async () => {
    await assert.rejects(
      build(conf({ namespaceIsolation: true }), 'team-b', { 'k8s.v1.cni.cncf.io/networks': 'team-a/net-a' }),
      code7(
        /namespace isolation: pod team-b\/p in namespace "team-b" may not use networks of namespace "team-a"/,
      ),
    );
  });

  test('clusterNetwork may be a confDir CNI name, a file path, or inline delegates', async () => {
    const byName = await build(conf({ clusterNetwork: 'filenet' }), 'team-a', {});
    assert.deepEqual(
      [byName[0]?.name, byName[0]?.origin],
      ['filenet', `file ${join(confDir, '10-filenet.conf')}`],
    );
    const byPath = await build(conf({ clusterNetwork: join(confDir, '10-filenet.conf') }), 'team-a', {});
    assert.equal(byPath[0]?.name, 'filenet');
    const byDir = await build(conf({ clusterNetwork: confDir }), 'team-a', {});
    assert.equal(byDir[0]?.config.type, 'bridge');
    const inline = await buildDelegates({
      conf: loadMultusConf({ ...base, delegates: [{ cniVersion: '1.0.0', name: 'inl', type: 'ptp' }] }),
      source: src,
      pod: undefined,
      ifname: 'eth0',
    });
    assert.deepEqual(
      inline.map((d) => [d.name, d.ifname, d.master]),
      [['inl', 'eth0', true]],
    );
  });

  test('annotation requests reach non-master delegates only; cni-args land in args.cni', async () => {
    const ds = await build(
      conf({ runtimeConfig: { portMappings: [{ hostPort: 1, containerPort: 2 }] } }),
      'team-a',
      {
        'k8s.v1.cni.cncf.io/networks': JSON.stringify([
          { name: 'net-a', mac: 'c2:00:00:00:00:0a', ips: ['10.1.0.5/24'], 'cni-args': { vlan: 7 } },
        ]),
      },
    );
    const [master, extra] = ds as [(typeof ds)[0], (typeof ds)[0]];
    assert.deepEqual(capabilityArgs(master, conf().runtimeConfig), {});
    assert.deepEqual(capabilityArgs(extra, { portMappings: [] }), {
      portMappings: [],
      mac: 'c2:00:00:00:00:0a',
      ips: ['10.1.0.5/24'],
    });
    assert.deepEqual(singleConfStdin(extra, undefined).runtimeConfig, {
      mac: 'c2:00:00:00:00:0a',
      ips: ['10.1.0.5/24'],
    });
    assert.deepEqual((extra.config.args as { cni: unknown }).cni, { vlan: 7 });
    assert.equal(
      delegateArgs(extra, 'K8S_POD_NAMESPACE=team-a;K8S_POD_NAME=p'),
      'IgnoreUnknown=true;K8S_POD_NAMESPACE=team-a;K8S_POD_NAME=p;MAC=c2:00:00:00:00:0a;IP=10.1.0.5/24',
    );
  });

  test('default-route (Multus CheckGatewayConfig): the requester installs it, the others lose every default route', async () => {
    const ds = await build(conf(), 'team-a', {
      'k8s.v1.cni.cncf.io/networks': JSON.stringify([
        { name: 'net-a', 'default-route': ['10.1.0.1'] },
        { name: 'net-b' },
      ]),
    });
    assert.deepEqual(
      ds.map((d) => [d.filterV4Gateway, d.filterV6Gateway]),
      [
        [true, true],
        [false, true],
        [true, true],
      ],
    );
    assert.deepEqual(defaultRoutePlan(ds[1]!), { remove: [4, 6], add: [{ family: 4, gateway: '10.1.0.1' }] });
    assert.deepEqual(defaultRoutePlan(ds[0]!), { remove: [4, 6], add: [] });
    const r0 = applyToResult(
      {
        cniVersion: '1.0.0',
        routes: [
          { dst: '0.0.0.0/0', gw: '10.0.0.1' },
          { dst: '::/0', gw: 'fd00::1' },
          { dst: '10.9.0.0/16', gw: '10.0.0.1' },
        ],
      },
      defaultRoutePlan(ds[0]!),
    );
    assert.deepEqual(r0.routes, [{ dst: '10.9.0.0/16', gw: '10.0.0.1' }]);
    const r1 = applyToResult(
      { cniVersion: '1.0.0', routes: [{ dst: '0.0.0.0/0', gw: '10.1.0.254' }] },
      defaultRoutePlan(ds[1]!),
    );
    assert.deepEqual(r1.routes, [{ dst: '0.0.0.0/0', gw: '10.1.0.1' }]);
    await assert.rejects(
      build(conf(), 'team-a', {
        'k8s.v1.cni.cncf.io/networks': JSON.stringify([
          { name: 'net-a', 'default-route': ['10.1.0.1'] },
          { name: 'net-b', 'default-route': ['10.2.0.1'] },
        ]),
      }),
      code7(/2 IPv4 gateways/),
    );
  });

  test('an unknown pod gets the cluster network only', async () => {
    const ds = await buildDelegates({
      conf: conf({ defaultNetworks: ['dn1'] }),
      source: src,
      pod: undefined,
      ifname: 'eth0',
    });
    assert.deepEqual(
      ds.map((d) => d.name),
      ['kube-system/cluster-net'],
    );
  });
});
