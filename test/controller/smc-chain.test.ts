// The NAD the controller generates from a SpiderMultusConfig, read back from the API server as Multus
// reads it, runs through the real plugins: trunkline-macvlan creates the SMC's VLAN parent on its
// master, trunkline-ipam takes the address from the SMC's SpiderIPPool (Kubernetes store). Cycles:
// generate → ADD/DEL; SMC changed (another master, another MTU) → regenerated → ADD/DEL on the new
// master; NAD deleted by hand → re-created → ADD/DEL. The masters are veths named for this test in
// the test's own namespace (deleted after), so the IPAM plugin reaches the API server on loopback.
// (VLAN parents need 802.1q, which only the VM tier has: test/controller/smc-netns.test.ts checks
// that a generated bond/VLAN parent is the one the plugin creates.)
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parse } from 'yaml';
import { loadClients } from '../../src/cluster/kubernetes/client.js';
import { reconcileSmcs } from '../../src/controller/smc/reconcile.js';
import { runCni } from '../helpers/cni.js';
import { ip, ipj, links, Scene } from '../helpers/netns.js';
import { DIST_CNI, ROOT } from '../helpers/paths.js';
import { type KubeApiServer, startKubeApiServer } from '../kube-apiserver/server.js';
import { asController } from './identity.js';

const SMC_API = 'spiderpool.spidernet.io/v2beta1';
const NAD_API = 'k8s.cni.cncf.io/v1';
const CRD = parse(readFileSync(join(ROOT, 'deploy/base/crds/spidermultusconfigs.yaml'), 'utf8')) as Record<
  string,
  unknown
>;
const UID = randomUUID();

const scene = new Scene('ctrlsc');
const MASTER = `ctrl${scene.id}`;
const MASTER2 = `ctrl${scene.id}b`;
let api: KubeApiServer;
let pod: ReturnType<Scene['netns']>;

before(async () => {
  for (const m of [MASTER, MASTER2]) {
    ip(['link', 'add', m, 'type', 'veth', 'peer', 'name', `${m}p`]);
    ip(['link', 'set', m, 'up']);
  }
  pod = scene.netns('p');
  api = await startKubeApiServer();
  api.seed([CRD]);
  await new Promise((r) => setImmediate(r));
  api.seed([
    {
      apiVersion: SMC_API,
      kind: 'SpiderIPPool',
      metadata: { name: 'ctrl-smc-v4' },
      spec: { ipVersion: 4, subnet: '10.77.0.0/24', ips: ['10.77.0.10-10.77.0.12'] },
    },
    {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'web', namespace: 'default', uid: UID },
      spec: { nodeName: 'n1', containers: [{ name: 'c', image: 'x' }] },
    },
    {
      apiVersion: SMC_API,
      kind: 'SpiderMultusConfig',
      metadata: { name: 'vlan300', namespace: 'default' },
      spec: {
        cniType: 'macvlan',
        enableCoordinator: false,
        macvlan: { master: [MASTER], mtu: 1400, ippools: { ipv4: ['ctrl-smc-v4'] } },
      },
    },
  ]);
});
after(async () => {
  await api?.stop();
  scene.cleanup();
  for (const m of [MASTER, MASTER2]) {
    try {
      ip(['link', 'del', m]);
    } catch {
      // never created
    }
  }
});

const ifindex = (name: string) =>
  (JSON.parse(ip(['-j', 'link', 'show', name])) as { ifindex: number }[])[0]?.ifindex;

/** ADD then DEL of the NAD's chain as a runtime runs it; returns net1's addresses and the pool's. */
async function attach(): Promise<{ addrs: string[]; held: string[]; mtu: number; master: number }> {
  const nad = api.get(NAD_API, 'NetworkAttachmentDefinition', 'default', 'vlan300');
  assert.ok(nad, 'the NAD exists');
  const list = JSON.parse(String((nad['spec'] as { config: string }).config)) as {
    cniVersion: string;
    name: string;
    plugins: Record<string, unknown>[];
  };
  assert.deepEqual(
    list.plugins.map((p) => p['type']),
    ['trunkline-macvlan'],
  );
  // What the node supplies (in a cluster: the node agent's configuration): where the pools live.
  const entry = list.plugins[0]!;
  const conf = {
    cniVersion: list.cniVersion,
    name: list.name,
    ...entry,
    ipam: {
      ...(entry['ipam'] as object),
      kubeconfig: api.kubeconfigPath,
      store: { type: 'kubernetes' },
      nodeName: 'n1',
    },
  };
  const call = (command: string) => ({
    command,
    containerId: 'ctrl-smc-c1',
    netns: pod.path,
    ifname: 'net1',
    args: `IgnoreUnknown=1;K8S_POD_NAMESPACE=default;K8S_POD_NAME=web;K8S_POD_UID=${UID}`,
    path: [DIST_CNI],
    extraEnv: { TRUNKLINE_NO_AGENT: '1' },
  });
  const plugin = join(DIST_CNI, 'trunkline-macvlan');
  const add = await runCni(plugin, call('ADD'), conf);
  assert.equal(add.code, 0, add.stdout + add.stderr);
  const [nic] = ipj<{ mtu: number; link_index?: number; linkinfo?: { info_kind?: string } }[]>(pod.name, [
    '-d',
    'link',
    'show',
    'net1',
  ]);
  assert.equal(nic?.linkinfo?.info_kind, 'macvlan');
  const [addr] = ipj<{ addr_info: { family: string; local: string; prefixlen: number }[] }[]>(pod.name, [
    'addr',
    'show',
    'dev',
    'net1',
  ]);
  const addrs = (addr?.addr_info ?? [])
    .filter((a) => a.family === 'inet')
    .map((a) => `${a.local}/${a.prefixlen}`);
  const pool = api.get(SMC_API, 'SpiderIPPool', undefined, 'ctrl-smc-v4')?.['status'] as {
    allocatedIPs?: string;
  };
  const held = Object.keys(JSON.parse(pool?.allocatedIPs || '{}'));
  const del = await runCni(plugin, call('DEL'), conf);
  assert.equal(del.code, 0, del.stdout + del.stderr);
  assert.deepEqual(links(pod.name), ['lo'], 'DEL leaves the pod as it found it');
  const after = api.get(SMC_API, 'SpiderIPPool', undefined, 'ctrl-smc-v4')?.['status'] as {
    allocatedIPs?: string;
  };
  assert.deepEqual(Object.keys(JSON.parse(after?.allocatedIPs || '{}')), [], 'DEL released the address');
  return { addrs, held, mtu: nic?.mtu ?? 0, master: nic?.link_index ?? 0 };
}

describe('generated NAD through the real plugins', () => {
  it('generate, change, delete by hand: each NAD gives the pod its NIC on the SMC VLAN', async () => {
    const clients = await loadClients(asController(api));
    const reconcile = () =>
      reconcileSmcs(
        clients,
        () => true,
        () => {},
      );
    assert.deepEqual((await reconcile()).created, ['default/vlan300']);
    const first = await attach();
    assert.deepEqual(first.addrs, [`${first.held[0]}/24`]);
    assert.match(first.held[0] ?? '', /^10\.77\.0\.1[0-2]$/);
    assert.equal(first.mtu, 1400);
    assert.equal(first.master, ifindex(MASTER));

    const cur = api.get(SMC_API, 'SpiderMultusConfig', 'default', 'vlan300')!;
    const spec = cur['spec'] as { macvlan: Record<string, unknown> };
    api.update({ ...cur, spec: { ...spec, macvlan: { ...spec.macvlan, master: [MASTER2], mtu: 1300 } } });
    assert.deepEqual((await reconcile()).updated, ['default/vlan300']);
    const changed = await attach();
    assert.equal(changed.mtu, 1300);
    assert.equal(changed.master, ifindex(MASTER2));

    api.delete(NAD_API, 'NetworkAttachmentDefinition', 'default', 'vlan300');
    assert.deepEqual((await reconcile()).created, ['default/vlan300']);
    const again = await attach();
    assert.equal(again.addrs.length, 1);
  });
});
