// Multus conformance through the real processes: the meta plugin's C shim → bundle (no agent, local
// manifests or the test API server) and the same shim → node agent, attaching pods in network
// namespaces through real delegates (our macvlan + the reference host-local), observing links,
// addresses, routes, results, the delegate cache and network-status. The cases are derived from
// pkg/multus/multus_cni100_test.go, multus_cni040_test.go and pkg/k8sclient/k8sclient_test.go at the
// commit pinned in pin.ts; each title names its source. Upstream drives fake exec stubs; here every
// delegate is a real plugin acting on the kernel.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startAgent, type TestAgent } from '../../agent/helpers.js';
import { type PluginRun, runCni } from '../../helpers/cni.js';
import { ip, ipj, links, Scene } from '../../helpers/netns.js';
import { DIST_CNI, REF_CNI } from '../../helpers/paths.js';
import { type KubeApiServer, startKubeApiServer } from '../../kube-apiserver/server.js';
import { cite } from './pin.js';

const META = join(DIST_CNI, 'trunkline');
const STATUS = 'k8s.v1.cni.cncf.io/network-status';
const C100 = 'pkg/multus/multus_cni100_test.go';
const C040 = 'pkg/multus/multus_cni040_test.go';
const K8S = 'pkg/k8sclient/k8sclient_test.go';
const NS = 'conf';

/** shim: shim → bundle, local manifests; kube: same with the API server; agent: shim → agent. */
type Mode = 'shim' | 'kube' | 'agent';

let scene: Scene;
let dir: string;
let hostPath: string;
let api: KubeApiServer;
let agent: TestAgent;

interface NetStatus {
  name: string;
  interface?: string;
  ips?: string[];
  mac?: string;
  default: boolean;
  'device-info'?: unknown;
}

function macvlanNet(
  name: string,
  subnet: string,
  opts: { master?: string; defaultRoute?: boolean; caps?: boolean } = {},
) {
  const b = subnet.replace(/\.0\/24$/, '');
  return {
    cniVersion: '1.0.0',
    name,
    type: 'trunkline-macvlan',
    master: opts.master ?? 'uplink0',
    mode: 'bridge',
    ...(opts.caps ? { capabilities: { mac: true, ips: true } } : {}),
    ipam: {
      type: 'host-local',
      dataDir: join(dir, 'ipam'),
      ...(opts.caps ? { capabilities: { ips: true } } : {}),
      ranges: [[{ subnet, rangeStart: `${b}.10`, rangeEnd: `${b}.50`, gateway: `${b}.1` }]],
      ...(opts.defaultRoute ? { routes: [{ dst: '0.0.0.0/0' }] } : {}),
    },
  };
}

const ipamAsPlugin = (type: string, subnet: string) => ({
  cniVersion: '1.0.0',
  type,
  ipam: { type: 'host-local', dataDir: join(dir, 'ipam'), ranges: [[{ subnet }]] },
});

const nad = (namespace: string, name: string, config: object, annotations?: Record<string, string>) => ({
  apiVersion: 'k8s.cni.cncf.io/v1',
  kind: 'NetworkAttachmentDefinition',
  metadata: { name, namespace, ...(annotations ? { annotations } : {}) },
  spec: { config: JSON.stringify(config) },
});

const POD_NETWORKS: Record<string, string | undefined> = {
  plain: undefined,
  multi: 'net-a,net-b',
  failing: 'net-a,bad',
  // host-local without an ipam section fails with an error of its own that carries no CNI code (999).
  failing999: 'net-a,no-ipam',
  'no-iface': 'ipam-only,net-a',
  runtime: '[{"name":"caps-net","mac":"02:aa:bb:cc:dd:01","ips":["10.8.0.33/24"]}]',
  'at-empty': 'net-a@',
  dotted: '[{"name":"dotted.net"}]',
  'route-none': '[{"name":"net-a","default-route":[]}]',
  'route-net1': '[{"name":"net-a","default-route":["10.1.0.1"]}]',
  device: 'dev-net',
  isolated: 'kube-system/cluster-net',
  vanish: 'vanish-net',
};

const pod = (name: string, networks: string | undefined) => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: {
    name,
    namespace: NS,
    uid: `uid-${name}`,
    annotations: networks !== undefined ? { 'k8s.v1.cni.cncf.io/networks': networks } : {},
  },
  spec: { nodeName: 'node-a', containers: [{ name: 'c', image: 'busybox' }] },
});

function objects() {
  return [
    nad('kube-system', 'cluster-net', macvlanNet('cluster-net', '10.99.0.0/24', { defaultRoute: true })),
    nad(NS, 'net-a', macvlanNet('net-a', '10.1.0.0/24')),
    nad(NS, 'net-b', macvlanNet('net-b', '10.2.0.0/24')),
    nad(NS, 'dotted.net', macvlanNet('dotted.net', '10.4.0.0/24')),
    nad(NS, 'bad', macvlanNet('bad', '10.3.0.0/24', { master: 'nomaster0' })),
    nad(NS, 'caps-net', macvlanNet('caps-net', '10.8.0.0/24', { caps: true })),
    // An IPAM plugin used as the whole delegate: addresses, no interface (upstream's "plugin without interface").
    nad(NS, 'ipam-only', ipamAsPlugin('host-local', '10.5.0.0/24')),
    nad(NS, 'no-ipam', { cniVersion: '1.0.0', type: 'host-local' }),
    nad(NS, 'vanish-net', ipamAsPlugin('tl-vanish', '10.6.0.0/24')),
    nad(NS, 'dev-net', macvlanNet('dev-net', '10.7.0.0/24'), {
      'k8s.v1.cni.cncf.io/resourceName': 'example.com/vf',
    }),
    ...Object.entries(POD_NETWORKS).map(([n, v]) => pod(n, v)),
  ];
}

function metaConf(mode: Mode, extra: Record<string, unknown> = {}) {
  return {
    cniVersion: '1.1.0',
    name: 'multus-cni-network',
    type: 'trunkline',
    clusterNetwork: 'cluster-net',
    binDir: join(dir, 'bin'),
    cniDir: join(dir, 'cache'),
    confDir: join(dir, 'confd'),
    deviceInfoDir: join(dir, 'devinfo'),
    kubeletCheckpointFile: join(dir, 'kubelet_internal_checkpoint'),
    ...(mode === 'kube'
      ? { kubeconfig: api.kubeconfigPath, source: { type: 'kubernetes' } }
      : { source: { type: 'local', manifestDir: join(dir, 'manifests'), stateDir: join(dir, 'state') } }),
    ...extra,
  };
}

const cid = () => `mc${randomBytes(6).toString('hex')}`;

function cni(
  mode: Mode,
  command: string,
  id: string,
  netns: string,
  podName: string,
  conf: object | string,
): Promise<PluginRun> {
  const call = {
    command,
    containerId: id,
    netns,
    ifname: 'eth0',
    args: `IgnoreUnknown=1;K8S_POD_NAMESPACE=${NS};K8S_POD_NAME=${podName};K8S_POD_UID=uid-${podName}`,
    path: [join(dir, 'bin'), REF_CNI],
  };
  if (mode === 'agent') {
    return runCni(META, { ...call, extraEnv: { TRUNKLINE_AGENT_SOCK: agent.socket } }, conf, hostPath);
  }
  return runCni(
    META,
    { ...call, extraEnv: { TRUNKLINE_NO_AGENT: '1', TRUNKLINE_LOG_FILE: join(dir, 'plugin.log') } },
    conf,
  );
}

function networkStatus(mode: Mode, name: string): NetStatus[] {
  const raw =
    mode === 'kube'
      ? api.get('v1', 'Pod', NS, name)?.metadata?.annotations?.[STATUS]
      : (
          JSON.parse(readFileSync(join(dir, 'state', 'pods', `${NS}_${name}.json`), 'utf8')) as {
            annotations: Record<string, string>;
          }
        ).annotations[STATUS];
  return JSON.parse(raw ?? '[]') as NetStatus[];
}

/** Lines the plugin processes (shim mode) or the agent logged so far. */
function processLog(mode: Mode): string[] {
  if (mode === 'agent') return agent.logs();
  const f = join(dir, 'plugin.log');
  return existsSync(f)
    ? readFileSync(f, 'utf8')
        .split('\n')
        .filter((l) => l !== '')
    : [];
}

/** Addresses host-local holds for a container. */
function held(containerId: string): string[] {
  const out: string[] = [];
  const b = join(dir, 'ipam');
  for (const net of existsSync(b) ? readdirSync(b) : []) {
    for (const f of readdirSync(join(b, net))) {
      if (/^[0-9.]+$/.test(f) && readFileSync(join(b, net, f), 'utf8').startsWith(containerId))
        out.push(`${net}/${f}`);
    }
  }
  return out.sort();
}

const linkOf = (ns: string, name: string) => ipj<{ address: string }[]>(ns, ['link', 'show', name])[0]!;
const addrsOf = (ns: string, name: string) =>
  ipj<{ addr_info: { family: string; local: string }[] }[]>(ns, ['addr', 'show', name])[0]!
    .addr_info.filter((a) => a.family === 'inet')
    .map((a) => a.local);
const defaultRoutes = (ns: string) =>
  ipj<{ gateway?: string; dev: string }[]>(ns, ['route', 'show', 'default']).map(
    (r) => `${r.gateway} ${r.dev}`,
  );

/** ADD then the case body, then DEL and the proof that nothing is left. */
async function attached(
  mode: Mode,
  podName: string,
  body: (ctx: { id: string; ns: { name: string; path: string }; add: PluginRun }) => Promise<void>,
  extra: Record<string, unknown> = {},
): Promise<void> {
  const ns = scene.netns(`p${randomBytes(2).toString('hex')}`);
  const id = cid();
  try {
    const add = await cni(mode, 'ADD', id, ns.path, podName, metaConf(mode, extra));
    assert.equal(add.code, 0, add.stdout + add.stderr);
    await body({ id, ns, add });
    const del = await cni(mode, 'DEL', id, ns.path, podName, metaConf(mode, extra));
    assert.equal(del.code, 0, del.stdout);
    assert.deepEqual(links(ns.name), ['lo']);
    assert.deepEqual(held(id), []);
    assert.equal(existsSync(join(dir, 'cache', id)), false);
  } finally {
    scene.remove(ns.name);
  }
}

interface Case {
  what: string;
  from: string;
  modes: Mode[];
  run: (mode: Mode) => Promise<void>;
}

const cases: Case[] = [
  {
    what: 'cluster network plus two NADs: eth0, net1, net2 with their addresses and a full network-status',
    from: `${C100} "executes delegates and kubernetes networks"`,
    modes: ['shim', 'kube', 'agent'],
    run: (mode) =>
      attached(mode, 'multi', async ({ ns, add }) => {
        assert.deepEqual(links(ns.name).sort(), ['eth0', 'lo', 'net1', 'net2']);
        assert.match(addrsOf(ns.name, 'net1')[0]!, /^10\.1\.0\./);
        assert.match(addrsOf(ns.name, 'net2')[0]!, /^10\.2\.0\./);
        const ips = add.json?.ips as { address: string }[];
        assert.equal(ips[0]!.address.split('/')[0], addrsOf(ns.name, 'eth0')[0]);
        assert.deepEqual(
          networkStatus(mode, 'multi').map((s) => [s.name, s.interface, s.default, s.mac, s.ips]),
          [
            [
              'kube-system/cluster-net',
              'eth0',
              true,
              linkOf(ns.name, 'eth0').address,
              addrsOf(ns.name, 'eth0'),
            ],
            [`${NS}/net-a`, 'net1', false, linkOf(ns.name, 'net1').address, addrsOf(ns.name, 'net1')],
            [`${NS}/net-b`, 'net2', false, linkOf(ns.name, 'net2').address, addrsOf(ns.name, 'net2')],
          ],
        );
      }),
  },
  {
    what: 'CHECK passes after ADD and fails once a delegate interface is gone',
    from: `${C100} "executes delegates with CNI Check" / "returns the previous result using CmdCheck"`,
    modes: ['shim', 'agent'],
    run: (mode) =>
      attached(mode, 'multi', async ({ id, ns }) => {
        const ok = await cni(mode, 'CHECK', id, ns.path, 'multi', metaConf(mode));
        assert.equal(ok.code, 0, ok.stdout);
        ip(['-n', ns.name, 'link', 'del', 'net2']);
        const bad = await cni(mode, 'CHECK', id, ns.path, 'multi', metaConf(mode));
        assert.notEqual(bad.code, 0);
        assert.match(String(bad.json?.msg), /CHECK of network conf\/net-b \(net2\) failed/);
      }),
  },
  {
    what: 'a failing second delegate: the first is deleted again, nothing held, no cache',
    from: `${C100} "executes delegates and cleans up on failure"`,
    modes: ['shim', 'agent'],
    run: async (mode) => {
      const ns = scene.netns('f');
      const id = cid();
      try {
        const r = await cni(mode, 'ADD', id, ns.path, 'failing', metaConf(mode));
        assert.notEqual(r.code, 0);
        assert.match(String(r.json?.msg), /error adding network conf\/bad as net2: .*nomaster0/);
        assert.deepEqual(links(ns.name), ['lo']);
        assert.deepEqual(held(id), []);
        assert.equal(existsSync(join(dir, 'cache', id)), false);
      } finally {
        scene.remove(ns.name);
      }
    },
  },
  {
    what: 'a netns path that does not exist fails the ADD and holds nothing',
    from: `${C100} "executes delegates given faulty namespace"`,
    modes: ['shim'],
    run: async (mode) => {
      const id = cid();
      const r = await cni(mode, 'ADD', id, '/var/run/netns/mc-does-not-exist', 'plain', metaConf(mode));
      assert.notEqual(r.code, 0);
      assert.equal(typeof r.json?.code, 'number');
      assert.deepEqual(held(id), []);
    },
  },
  {
    what: 'bad JSON on stdin fails ADD and DEL with a decoding error',
    from: `${C100} "fails to load NetConf with bad json in CmdAdd/Del"`,
    modes: ['shim', 'agent'],
    run: async (mode) => {
      for (const cmd of ['ADD', 'DEL']) {
        const r = await cni(mode, cmd, cid(), '/var/run/netns/none', 'plain', '{"cniVersion":"1.0.0",');
        assert.notEqual(r.code, 0);
        assert.equal(r.json?.code, 6, r.stdout);
      }
    },
  },
  {
    what: 'a delegate that creates no interface gets no network-status entry',
    from: `${C100} "executes delegates (plugin without interface)" + network-attachment-definition-client CreateNetworkStatuses`,
    modes: ['shim', 'kube'],
    run: (mode) =>
      attached(mode, 'no-iface', async ({ ns, id }) => {
        assert.deepEqual(links(ns.name).sort(), ['eth0', 'lo', 'net2']);
        assert.equal(held(id).filter((h) => h.startsWith('10.5.') || /\/10\.5\./.test(h)).length, 1);
        assert.deepEqual(
          networkStatus(mode, 'no-iface').map((s) => [s.name, s.interface]),
          [
            ['kube-system/cluster-net', 'eth0'],
            [`${NS}/net-a`, 'net2'],
          ],
        );
      }),
  },
  {
    what: 'mac and ips requests reach a delegate that declares the capabilities',
    from: `${C100} "executes delegates with runtimeConfigs"`,
    modes: ['shim', 'agent'],
    run: (mode) =>
      attached(mode, 'runtime', async ({ ns }) => {
        assert.equal(linkOf(ns.name, 'net1').address, '02:aa:bb:cc:dd:01');
        assert.deepEqual(addrsOf(ns.name, 'net1'), ['10.8.0.33']);
        const st = networkStatus(mode, 'runtime')[1]!;
        assert.deepEqual([st.mac, st.ips], ['02:aa:bb:cc:dd:01', ['10.8.0.33']]);
      }),
  },
  {
    what: 'DEL after the pod was deleted from the API releases everything from the cache',
    from: `${C100} "executes kubernetes networks and delete it after pod removal"`,
    modes: ['kube'],
    run: async (mode) => {
      const ns = scene.netns('k');
      const id = cid();
      const name = `gone-${randomBytes(2).toString('hex')}`;
      api.seed([pod(name, 'net-a')]);
      try {
        const add = await cni(mode, 'ADD', id, ns.path, name, metaConf(mode));
        assert.equal(add.code, 0, add.stdout);
        assert.equal(held(id).length, 2);
        api.delete('v1', 'Pod', NS, name);
        const del = await cni(mode, 'DEL', id, ns.path, name, metaConf(mode));
        assert.equal(del.code, 0, del.stdout);
        assert.deepEqual(links(ns.name), ['lo']);
        assert.deepEqual(held(id), []);
      } finally {
        scene.remove(ns.name);
      }
    },
  },
  {
    what: 'a pod without annotations gets the cluster network only; its result is returned',
    from: `${C100} "executes clusterNetwork delegate"`,
    modes: ['shim', 'agent'],
    run: (mode) =>
      attached(mode, 'plain', async ({ ns, add }) => {
        assert.deepEqual(links(ns.name).sort(), ['eth0', 'lo']);
        assert.equal(add.json?.cniVersion, '1.1.0');
        assert.match((add.json!.ips as { address: string }[])[0]!.address, /^10\.99\.0\.\d+\/24$/);
        assert.deepEqual(defaultRoutes(ns.name), ['10.99.0.1 eth0']);
      }),
  },
  {
    what: "the result comes in the meta config's version (0.4.0)",
    from: `${C040} "executes delegates"`,
    modes: ['shim'],
    run: (mode) =>
      attached(
        mode,
        'plain',
        async ({ add }) => {
          assert.equal(add.json?.cniVersion, '0.4.0');
          assert.equal((add.json!.ips as { version: string }[])[0]!.version, '4');
        },
        { cniVersion: '0.4.0' },
      ),
  },
  {
    what: "the delegate list is cached under cniDir/<containerID> during the pod's life",
    from: `${C100} "Verify the cache is created in dataDir"`,
    modes: ['shim'],
    run: (mode) =>
      attached(mode, 'multi', async ({ id }) => {
        const cache = JSON.parse(readFileSync(join(dir, 'cache', id), 'utf8')) as {
          delegates: { name: string }[];
        };
        assert.deepEqual(
          cache.delegates.map((d) => d.name),
          ['kube-system/cluster-net', `${NS}/net-a`, `${NS}/net-b`],
        );
      }),
  },
  {
    what: 'DEL without a cache rebuilds the delegates from the pod and releases them',
    from: `${C100} "Delete pod without cache"`,
    modes: ['shim', 'kube'],
    run: async (mode) => {
      const ns = scene.netns('c');
      const id = cid();
      try {
        const add = await cni(mode, 'ADD', id, ns.path, 'multi', metaConf(mode));
        assert.equal(add.code, 0, add.stdout);
        rmSync(join(dir, 'cache', id));
        const del = await cni(mode, 'DEL', id, ns.path, 'multi', metaConf(mode));
        assert.equal(del.code, 0, del.stdout);
        assert.deepEqual(links(ns.name), ['lo']);
        assert.deepEqual(held(id), []);
      } finally {
        scene.remove(ns.name);
      }
    },
  },
  {
    what: "STATUS reports the cluster network's failure",
    from: `${C100} "propagates delegate STATUS errors" / "propagates CmdStatus errors for single plugin delegates"`,
    modes: ['shim', 'agent'],
    run: async (mode) => {
      const r = await cni(
        mode,
        'STATUS',
        '',
        '',
        'plain',
        metaConf(mode, { clusterNetwork: join(dir, 'broken-cluster.conf') }),
      );
      assert.notEqual(r.code, 0);
      assert.match(String(r.json?.msg), /network broken-cluster is not ready/);
    },
  },
  {
    what: 'STATUS asks only the cluster network: a broken defaultNetwork does not matter',
    from: `pkg/multus/multus.go CmdStatus ("we only need to check cluster network status")`,
    modes: ['shim', 'agent'],
    run: async (mode) => {
      const r = await cni(
        mode,
        'STATUS',
        '',
        '',
        'plain',
        metaConf(mode, { defaultNetworks: [join(dir, 'broken-cluster.conf')] }),
      );
      assert.equal(r.code, 0, r.stdout);
    },
  },
  {
    what: 'GC deletes the delegates of containers no longer valid and keeps the valid ones',
    from: `${C100} "executes delegates with CNI GC"`,
    modes: ['shim'],
    run: async (mode) => {
      const a = scene.netns('ga');
      const b = scene.netns('gb');
      const [ida, idb] = [cid(), cid()];
      try {
        for (const [id, ns] of [
          [ida, a],
          [idb, b],
        ] as const) {
          const r = await cni(mode, 'ADD', id, ns.path, 'plain', metaConf(mode));
          assert.equal(r.code, 0, r.stdout);
        }
        const gc = await cni(mode, 'GC', '', '', 'plain', {
          ...metaConf(mode),
          'cni.dev/valid-attachments': [{ containerID: ida, ifname: 'eth0' }],
        });
        assert.equal(gc.code, 0, gc.stdout);
        assert.deepEqual(links(b.name), ['lo']);
        assert.deepEqual(held(idb), []);
        assert.deepEqual(links(a.name).sort(), ['eth0', 'lo']);
        assert.equal(held(ida).length, 1);
        assert.equal((await cni(mode, 'DEL', ida, a.path, 'plain', metaConf(mode))).code, 0);
        assert.deepEqual(held(ida), []);
      } finally {
        scene.remove(a.name);
        scene.remove(b.name);
      }
    },
  },
  {
    what: '"net-a@" attaches as net1 (no interface requested)',
    from: `${K8S} parsePodNetworkObjectName (empty interface after '@')`,
    modes: ['shim', 'agent'],
    run: (mode) =>
      attached(mode, 'at-empty', async ({ ns }) => {
        assert.deepEqual(links(ns.name).sort(), ['eth0', 'lo', 'net1']);
        assert.equal(networkStatus(mode, 'at-empty')[1]?.interface, 'net1');
      }),
  },
  {
    what: 'the JSON form reaches a NAD whose name has dots',
    from: `${K8S} "retrieves delegates from kubernetes using JSON format annotation" (no DNS-1123 check in the JSON form)`,
    modes: ['shim', 'kube'],
    run: (mode) =>
      attached(mode, 'dotted', async ({ ns }) => {
        assert.match(addrsOf(ns.name, 'net1')[0]!, /^10\.4\.0\./);
        assert.equal(networkStatus(mode, 'dotted')[1]?.name, `${NS}/dotted.net`);
      }),
  },
  {
    what: '"default-route": [] leaves the pod without any default route',
    from: `pkg/types/conf_test.go "test LoadDelegateNetConf keeps empty GatewayRequest" + multus#1011`,
    modes: ['shim', 'agent'],
    run: (mode) =>
      attached(mode, 'route-none', async ({ ns }) => {
        assert.deepEqual(links(ns.name).sort(), ['eth0', 'lo', 'net1']);
        assert.deepEqual(defaultRoutes(ns.name), []);
      }),
  },
  {
    what: 'a default-route gateway moves the default route to net1',
    from: `${K8S} "can set the default-gateway on an additional interface"`,
    modes: ['shim', 'agent'],
    run: (mode) =>
      attached(mode, 'route-net1', async ({ ns }) => {
        assert.deepEqual(defaultRoutes(ns.name), ['10.1.0.1 net1']);
      }),
  },
  {
    what: 'resourceName: device-plugin device info published as device-info, file removed on DEL',
    from: `pkg/multus/multus.go CmdAdd (CopyDeviceInfoForCNIFromDP, getDelegateDeviceInfo) + pkg/checkpoint`,
    modes: ['shim', 'kube', 'agent'],
    run: (mode) =>
      attached(mode, 'device', async ({ id }) => {
        const st = networkStatus(mode, 'device');
        assert.deepEqual(st[1]?.['device-info'], DEVICE_INFO);
        assert.ok(existsSync(join(dir, 'devinfo', 'cni', `${NS}-dev-net-${id}_net1`)));
        const cache = readFileSync(join(dir, 'cache', id), 'utf8');
        assert.match(cache, /"pciBusID":"0000:af:00.1"/);
      }).then(() => assert.deepEqual(readdirSync(join(dir, 'devinfo', 'cni')), [])),
  },
  {
    what: 'namespace isolation refuses a foreign NAD and creates nothing',
    from: `${K8S} "Errors when namespace isolation is violated"`,
    modes: ['shim'],
    run: async (mode) => {
      const ns = scene.netns('i');
      const id = cid();
      try {
        const r = await cni(
          mode,
          'ADD',
          id,
          ns.path,
          'isolated',
          metaConf(mode, { namespaceIsolation: true }),
        );
        assert.equal(r.json?.code, 7);
        assert.deepEqual(links(ns.name), ['lo']);
        assert.deepEqual(held(id), []);
      } finally {
        scene.remove(ns.name);
      }
    },
  },
  {
    what: 'logFile: a delegate failure is one error line naming the network, no stack trace',
    from: `pkg/logging/logging.go + pkg/multus/multus.go cmdPluginErr`,
    modes: ['shim', 'agent'],
    run: async (mode) => {
      const ns = scene.netns('l');
      const logFile = join(dir, `meta-${mode}.log`);
      try {
        const before = processLog(mode).length;
        const r = await cni(
          mode,
          'ADD',
          cid(),
          ns.path,
          'failing999',
          metaConf(mode, { logFile, logLevel: 'error', logToStderr: false }),
        );
        assert.equal(r.json?.code, 999, r.stdout);
        assert.deepEqual(links(ns.name), ['lo']);
        // Nor does the process entry (skel) or the agent log it as an internal fault with a stack.
        const faults = processLog(mode)
          .slice(before)
          .filter((l) => /unexpected failure|\\n\s+at /.test(l));
        assert.deepEqual(faults, []);
        const lines = readFileSync(logFile, 'utf8')
          .trim()
          .split('\n')
          .map((l) => JSON.parse(l) as Record<string, unknown>);
        const errs = lines.filter((l) => l.level === 'error');
        assert.equal(errs.length, 1, JSON.stringify(lines));
        assert.deepEqual(
          [errs[0]!.msg, errs[0]!.network, errs[0]!.delegateIfname],
          ['error adding network', `${NS}/no-ipam`, 'net2'],
        );
        assert.doesNotMatch(JSON.stringify(lines), /\\n\s+at /);
      } finally {
        scene.remove(ns.name);
      }
    },
  },
  {
    what: 'retryDeleteOnError keeps the cache after a failed DEL so the retry finds the delegates; without it the cache goes',
    from: `pkg/multus/multus.go CmdDel (RetryDeleteOnError)`,
    modes: ['shim', 'agent'],
    run: async (mode) => {
      for (const retry of [true, false]) {
        const ns = scene.netns('r');
        const id = cid();
        const conf = metaConf(mode, { retryDeleteOnError: retry });
        try {
          assert.equal((await cni(mode, 'ADD', id, ns.path, 'vanish', conf)).code, 0);
          renameSync(join(dir, 'bin', 'tl-vanish'), join(dir, 'tl-vanish.away'));
          const failed = await cni(mode, 'DEL', id, ns.path, 'vanish', conf);
          renameSync(join(dir, 'tl-vanish.away'), join(dir, 'bin', 'tl-vanish'));
          assert.notEqual(failed.code, 0);
          assert.equal(existsSync(join(dir, 'cache', id)), retry);
          const again = await cni(mode, 'DEL', id, ns.path, 'vanish', conf);
          assert.equal(again.code, 0, again.stdout);
          assert.equal(existsSync(join(dir, 'cache', id)), false);
          assert.deepEqual(links(ns.name), ['lo']);
          // With the cache the retry releases the address; without it the pod is rebuilt from the
          // manifests (it still exists), so the release happens either way.
          assert.deepEqual(held(id), []);
        } finally {
          scene.remove(ns.name);
        }
      }
    },
  },
];

const DEVICE_INFO = { type: 'pci', version: '1.1.0', pci: { 'pci-address': '0000:af:00.1' } };

describe('Multus conformance through the plugin processes', () => {
  before(async () => {
    for (const f of ['trunkline', 'trunkline-macvlan']) {
      assert.ok(existsSync(join(DIST_CNI, f)), `dist/cni/${f} missing: build with node scripts/build.mjs`);
    }
    assert.ok(
      existsSync(join(REF_CNI, 'host-local')),
      `${REF_CNI}/host-local missing (scripts/setup.sh installs it)`,
    );
    scene = new Scene('mc');
    dir = mkdtempSync(join(tmpdir(), 'mconf-e2e-'));
    try {
      hostPath = scene.host('h').path;
      for (const d of ['bin', 'manifests', 'confd', 'devinfo/dp'])
        mkdirSync(join(dir, d), { recursive: true });
      // Delegates must see the scene's uplink: the no-agent path runs them in the host namespace.
      writeFileSync(
        join(dir, 'bin', 'trunkline-macvlan'),
        `#!/bin/sh\nexec nsenter '--net=${hostPath}' '${join(DIST_CNI, 'trunkline-macvlan')}'\n`,
        { mode: 0o755 },
      );
      writeFileSync(join(dir, 'bin', 'tl-vanish'), `#!/bin/sh\nexec '${join(REF_CNI, 'host-local')}'\n`, {
        mode: 0o755,
      });
      writeFileSync(
        join(dir, 'broken-cluster.conf'),
        JSON.stringify({ cniVersion: '1.1.0', name: 'broken-cluster', type: 'tl-not-installed' }),
      );
      writeFileSync(
        join(dir, 'kubelet_internal_checkpoint'),
        JSON.stringify({
          Data: {
            PodDeviceEntries: [
              {
                PodUID: 'uid-device',
                ContainerName: 'c',
                ResourceName: 'example.com/vf',
                DeviceIDs: { '-1': ['0000:af:00.1'] },
              },
            ],
            RegisteredDevices: {},
          },
          Checksum: 0,
        }),
      );
      writeFileSync(
        join(dir, 'devinfo', 'dp', 'example.com-vf-0000:af:00.1-device.json'),
        JSON.stringify(DEVICE_INFO),
      );
      for (const [i, o] of objects().entries()) {
        writeFileSync(join(dir, 'manifests', `${String(i).padStart(2, '0')}.json`), JSON.stringify(o));
      }
      api = await startKubeApiServer();
      api.seed([{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } }, ...objects()]);
      agent = await startAgent(hostPath, dir);
    } catch (e) {
      await agent?.stop();
      await api?.stop();
      scene.cleanup();
      throw e;
    }
  });
  after(async () => {
    await agent?.stop();
    await api?.stop();
    scene.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  for (const c of cases) {
    for (const mode of c.modes) {
      test(cite(`${mode}: ${c.what}`, c.from), () => c.run(mode));
    }
  }
});
