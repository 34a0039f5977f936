// End to end in network namespaces: the built meta plugin (dist/cni/trunkline) attaches pods through
// our macvlan plugin with the reference host-local IPAM, reading pods and NADs from manifests (local
// source) or from the test API server (Kubernetes source). The meta plugin runs in the test's own
// namespace (so it reaches the API server on loopback); CNI_PATH wrappers run macvlan inside the
// scene's host namespace, whose veth is the master.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type CniCall, runCni } from '../helpers/cni.js';
import { ip, ipj, links, Scene } from '../helpers/netns.js';
import { DIST_CNI, REF_CNI } from '../helpers/paths.js';
import { tierSkip } from '../helpers/tier.js';
import { type KubeApiServer, startKubeApiServer } from '../kube-apiserver/server.js';

const META = join(DIST_CNI, 'trunkline');
const ready =
  existsSync(META) &&
  existsSync(join(DIST_CNI, 'trunkline-macvlan')) &&
  existsSync(join(REF_CNI, 'host-local'));
const STATUS = 'k8s.v1.cni.cncf.io/network-status';

let scene: Scene;
let dir: string;
let hostPath: string;
let api: KubeApiServer;

interface NetStatus {
  name: string;
  interface: string;
  ips: string[];
  mac: string;
  default: boolean;
  dns: unknown;
  gateway?: string[];
}

/** Only networks that may own eth0 install a default route (a second one would clash). */
function macvlanNet(name: string, subnet: string, master = 'uplink0', defaultRoute = false) {
  const base = subnet.replace(/\.0\/24$/, '');
  return {
    cniVersion: '1.0.0',
    name,
    type: 'trunkline-macvlan',
    master,
    mode: 'bridge',
    ipam: {
      type: 'host-local',
      dataDir: join(dir, 'ipam'),
      ranges: [[{ subnet, rangeStart: `${base}.10`, rangeEnd: `${base}.50`, gateway: `${base}.1` }]],
      ...(defaultRoute ? { routes: [{ dst: '0.0.0.0/0' }] } : {}),
    },
  };
}

function nad(namespace: string, name: string, config: object, annotations?: Record<string, string>) {
  return {
    apiVersion: 'k8s.cni.cncf.io/v1',
    kind: 'NetworkAttachmentDefinition',
    metadata: { name, namespace, ...(annotations ? { annotations } : {}) },
    spec: { config: JSON.stringify(config) },
  };
}

const pod = (namespace: string, name: string, annotations: Record<string, string>) => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace, uid: `uid-${name}`, annotations },
  spec: { nodeName: 'node-a', containers: [{ name: 'c', image: 'busybox' }] },
});

function objects() {
  return [
    nad('kube-system', 'cluster-net', macvlanNet('cluster-net', '10.99.0.0/24', 'uplink0', true)),
    nad(
      'kube-system',
      'macvlan-standalone-vlan0',
      macvlanNet('macvlan-standalone-vlan0', '10.100.0.0/24', 'uplink0', true),
    ),
    nad('kube-system', 'macvlan-overlay-vlan0', macvlanNet('macvlan-overlay-vlan0', '10.200.0.0/24'), {
      'trunkline.io/network-mode': 'overlay',
    }),
    nad('team-a', 'net-a', macvlanNet('net-a', '10.1.0.0/24')),
    nad('team-a', 'net-b', macvlanNet('net-b', '10.2.0.0/24')),
    nad('team-a', 'bad', macvlanNet('bad', '10.3.0.0/24', 'txnomaster0')),
    pod('default', 'standalone', {
      'v1.multus-cni.io/default-network': 'kube-system/macvlan-standalone-vlan0',
    }),
    pod('default', 'seed-overlay', {
      'v1.multus-cni.io/default-network': 'kube-system/macvlan-standalone-vlan0',
      'k8s.v1.cni.cncf.io/networks': 'kube-system/macvlan-overlay-vlan0',
    }),
    pod('default', 'overlay-default', {
      'v1.multus-cni.io/default-network': 'kube-system/macvlan-overlay-vlan0',
    }),
    pod('team-a', 'multi', { 'k8s.v1.cni.cncf.io/networks': 'net-a,net-b@custom,net-a' }),
    pod('team-a', 'failing', { 'k8s.v1.cni.cncf.io/networks': 'net-a,bad' }),
    pod('team-a', 'isolated', { 'k8s.v1.cni.cncf.io/networks': 'kube-system/macvlan-standalone-vlan0' }),
    pod('team-a', 'api-pod', { 'k8s.v1.cni.cncf.io/networks': 'net-a' }),
  ];
}

function metaConf(extra: Record<string, unknown> = {}) {
  return {
    cniVersion: '1.0.0',
    name: 'trunkline',
    type: 'trunkline',
    clusterNetwork: 'cluster-net',
    binDir: join(dir, 'bin'),
    cniDir: join(dir, 'cache'),
    confDir: join(dir, 'confd'),
    source: { type: 'local', manifestDir: join(dir, 'manifests'), stateDir: join(dir, 'state') },
    ...extra,
  };
}

const call = (
  command: string,
  containerId: string,
  netns: string,
  podNs: string,
  podName: string,
): CniCall => ({
  command,
  containerId,
  netns,
  ifname: 'eth0',
  args: `IgnoreUnknown=1;K8S_POD_NAMESPACE=${podNs};K8S_POD_NAME=${podName};K8S_POD_UID=uid-${podName}`,
  path: [join(dir, 'bin'), REF_CNI],
  extraEnv: { TRUNKLINE_NO_AGENT: '1', TRUNKLINE_LOG_FILE: join(dir, 'plugin.log') },
});

/** Addresses host-local holds for a container (its files in dataDir/<network>/). */
function held(containerId: string): string[] {
  const out: string[] = [];
  const base = join(dir, 'ipam');
  for (const net of existsSync(base) ? readdirSync(base) : []) {
    for (const f of readdirSync(join(base, net))) {
      if (!/^[0-9.]+$/.test(f)) continue;
      if (readFileSync(join(base, net, f), 'utf8').startsWith(containerId)) out.push(`${net}/${f}`);
    }
  }
  return out.sort();
}

const localStatus = (ns: string, name: string): NetStatus[] =>
  JSON.parse(
    (
      JSON.parse(readFileSync(join(dir, 'state', 'pods', `${ns}_${name}.json`), 'utf8')) as {
        annotations: Record<string, string>;
      }
    ).annotations[STATUS]!,
  );

const linkOf = (ns: string, name: string) =>
  ipj<{ address: string; linkinfo?: { info_kind: string } }[]>(ns, ['-d', 'link', 'show', name])[0]!;
const addrsOf = (ns: string, name: string) =>
  ipj<{ addr_info: { family: string; local: string }[] }[]>(ns, ['addr', 'show', name])[0]!
    .addr_info.filter((a) => a.family === 'inet')
    .map((a) => a.local);
const cid = () => `tx${randomBytes(6).toString('hex')}`;

describe('meta plugin end to end (namespaces, macvlan + host-local)', {
  skip: tierSkip('dist', ready ? undefined : 'dist/cni not built'),
}, () => {
  before(async () => {
    scene = new Scene('tx');
    dir = mkdtempSync(join(tmpdir(), 'txe2e-'));
    try {
      hostPath = scene.host('h').path;
      mkdirSync(join(dir, 'bin'));
      mkdirSync(join(dir, 'manifests'));
      // Delegates must see the scene's uplink: run them inside the host namespace.
      const target = join(DIST_CNI, 'trunkline-macvlan');
      writeFileSync(
        join(dir, 'bin', 'trunkline-macvlan'),
        `#!/bin/sh\nexec nsenter '--net=${hostPath}' '${target}'\n`,
        {
          mode: 0o755,
        },
      );
      for (const [i, o] of objects().entries()) {
        writeFileSync(join(dir, 'manifests', `${String(i).padStart(2, '0')}.json`), JSON.stringify(o));
      }
      api = await startKubeApiServer();
      api.seed([{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'team-a' } }, ...objects()]);
    } catch (e) {
      scene.cleanup();
      throw e;
    }
  });
  after(async () => {
    scene.cleanup();
    await api?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  test('the seed standalone pod: default-network override makes eth0 macvlan; result in the caller version', async () => {
    const p = scene.netns('p1');
    const id = cid();
    writeFileSync(join(dir, 'ready'), '');
    const conf = metaConf({ cniVersion: '0.4.0', readinessindicatorfile: join(dir, 'ready') });
    const r = await runCni(META, call('ADD', id, p.path, 'default', 'standalone'), conf);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const ips = r.json?.ips as { version: string; address: string; gateway: string }[];
    assert.equal(ips[0]?.version, '4', '0.4.0 result format');
    assert.match(ips[0]!.address, /^10\.100\.0\.\d+\/24$/);
    assert.deepEqual(links(p.name).sort(), ['eth0', 'lo']);
    const eth0 = linkOf(p.name, 'eth0');
    assert.equal(eth0.linkinfo?.info_kind, 'macvlan');
    assert.deepEqual(addrsOf(p.name, 'eth0'), [ips[0]!.address.split('/')[0]]);
    const routes = ipj<{ dst: string; gateway?: string; dev: string }[]>(p.name, [
      'route',
      'show',
      'default',
    ]);
    assert.deepEqual(
      routes.map((x) => [x.gateway, x.dev]),
      [['10.100.0.1', 'eth0']],
    );
    assert.deepEqual(localStatus('default', 'standalone'), [
      {
        name: 'kube-system/macvlan-standalone-vlan0',
        interface: 'eth0',
        ips: [ips[0]!.address.split('/')[0]],
        mac: eth0.address,
        default: true,
        dns: {},
        gateway: ['10.100.0.1'],
      },
    ]);
    assert.equal(held(id).length, 1);
    const d = await runCni(META, call('DEL', id, p.path, 'default', 'standalone'), conf);
    assert.equal(d.code, 0, d.stdout);
    assert.deepEqual(links(p.name), ['lo']);
    assert.deepEqual(held(id), []);
    assert.equal(existsSync(join(dir, 'cache', id)), false);
  });

  test('the seed pod with the overlay network as net1, and a pod with net1, @custom and net3', async () => {
    const p = scene.netns('p2');
    const id = cid();
    const r = await runCni(META, call('ADD', id, p.path, 'default', 'seed-overlay'), metaConf());
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.deepEqual(links(p.name).sort(), ['eth0', 'lo', 'net1']);
    const st = localStatus('default', 'seed-overlay');
    assert.deepEqual(
      st.map((s) => [s.name, s.interface, s.default, s.mac === linkOf(p.name, s.interface).address]),
      [
        ['kube-system/macvlan-standalone-vlan0', 'eth0', true, true],
        ['kube-system/macvlan-overlay-vlan0', 'net1', false, true],
      ],
    );
    assert.match(st[1]!.ips[0]!, /^10\.200\.0\./);

    const q = scene.netns('p3');
    const id2 = cid();
    const r2 = await runCni(META, call('ADD', id2, q.path, 'team-a', 'multi'), metaConf());
    assert.equal(r2.code, 0, r2.stdout + r2.stderr);
    assert.deepEqual(links(q.name).sort(), ['custom', 'eth0', 'lo', 'net1', 'net3']);
    assert.match(addrsOf(q.name, 'eth0')[0]!, /^10\.99\.0\./);
    assert.match(addrsOf(q.name, 'net1')[0]!, /^10\.1\.0\./);
    assert.match(addrsOf(q.name, 'custom')[0]!, /^10\.2\.0\./);
    assert.match(addrsOf(q.name, 'net3')[0]!, /^10\.1\.0\./);
    assert.equal(held(id2).length, 4);
    assert.equal((await runCni(META, call('CHECK', id2, q.path, 'team-a', 'multi'), metaConf())).code, 0);
    ip(['-n', q.name, 'link', 'del', 'custom']);
    const chk = await runCni(META, call('CHECK', id2, q.path, 'team-a', 'multi'), metaConf());
    assert.notEqual(chk.code, 0);
    assert.match(String(chk.json?.msg), /CHECK of network team-a\/net-b \(custom\) failed/);

    for (const [i, ns, podNs, name] of [
      [id, p, 'default', 'seed-overlay'],
      [id2, q, 'team-a', 'multi'],
    ] as const) {
      const d = await runCni(META, call('DEL', i, ns.path, podNs, name), metaConf());
      assert.equal(d.code, 0, d.stdout);
      assert.deepEqual(links(ns.name), ['lo']);
      assert.deepEqual(held(i), []);
    }
  });

  test('a failing second delegate rolls back the first: no link, no address held', async () => {
    const p = scene.netns('p4');
    const id = cid();
    const r = await runCni(META, call('ADD', id, p.path, 'team-a', 'failing'), metaConf());
    assert.notEqual(r.code, 0);
    assert.match(String(r.json?.msg), /error adding network team-a\/bad as net2: .*txnomaster0/);
    assert.deepEqual(links(p.name), ['lo']);
    assert.deepEqual(held(id), []);
    assert.equal(existsSync(join(dir, 'cache', id)), false);
  });

  test('namespace isolation denial and overlay-as-default rejection change nothing', async () => {
    const p = scene.netns('p5');
    const iso = await runCni(
      META,
      call('ADD', cid(), p.path, 'team-a', 'isolated'),
      metaConf({ namespaceIsolation: true }),
    );
    assert.equal(iso.json?.code, 7);
    assert.match(
      String(iso.json?.msg),
      /namespace isolation: pod team-a\/isolated .* may not use networks of namespace "kube-system"/,
    );
    const ov = await runCni(META, call('ADD', cid(), p.path, 'default', 'overlay-default'), metaConf());
    assert.equal(ov.json?.code, 7);
    assert.match(
      String(ov.json?.msg),
      /network kube-system\/macvlan-overlay-vlan0 .* cannot be the default network of pod default\/overlay-default: it is marked overlay/,
    );
    assert.deepEqual(links(p.name), ['lo']);
    const notReady = await runCni(
      META,
      call('ADD', cid(), p.path, 'default', 'standalone'),
      metaConf({ readinessindicatorfile: join(dir, 'never'), readinessTimeoutSeconds: 0.3 }),
    );
    assert.equal(notReady.json?.code, 11);
  });

  test('Kubernetes source: network-status through the API, DEL after the pod was deleted', async () => {
    const p = scene.netns('p6');
    const id = cid();
    const conf = metaConf({ kubeconfig: api.kubeconfigPath, source: { type: 'kubernetes' } });
    const r = await runCni(META, call('ADD', id, p.path, 'team-a', 'api-pod'), conf);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const stored = api.get('v1', 'Pod', 'team-a', 'api-pod')!;
    const st = JSON.parse(stored.metadata?.annotations?.[STATUS] ?? '[]') as NetStatus[];
    assert.deepEqual(
      st.map((s) => [s.name, s.interface, s.default, s.mac, s.ips]),
      [
        ['kube-system/cluster-net', 'eth0', true, linkOf(p.name, 'eth0').address, addrsOf(p.name, 'eth0')],
        ['team-a/net-a', 'net1', false, linkOf(p.name, 'net1').address, addrsOf(p.name, 'net1')],
      ],
    );
    assert.ok(
      api.requests.some((q) => q.method === 'PUT' && q.subresource === 'status' && q.name === 'api-pod'),
    );
    api.delete('v1', 'Pod', 'team-a', 'api-pod');
    const d = await runCni(META, call('DEL', id, p.path, 'team-a', 'api-pod'), conf);
    assert.equal(d.code, 0, d.stdout);
    assert.deepEqual(links(p.name), ['lo']);
    assert.deepEqual(held(id), []);
  });
});
