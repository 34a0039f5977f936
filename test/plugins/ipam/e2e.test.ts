// trunkline-ipam behind real macvlan NICs in namespaces: pool annotations pick the pool per NIC, the
// pool's gateway and routes land in the pod, and the reference macvlan plugin can use trunkline-ipam
// through the standard delegation protocol.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { SqliteStore } from '../../../src/store/sqlite.js';
import { type CniCall, runCni } from '../../helpers/cni.js';
import { ipj, links, Scene } from '../../helpers/netns.js';
import { DIST_CNI, REF_CNI } from '../../helpers/paths.js';

const MACVLAN = join(DIST_CNI, 'trunkline-macvlan');
const scene = new Scene('tie');
let host: ReturnType<Scene['host']>;
let dir: string;

const manifests = `
apiVersion: spiderpool.spidernet.io/v2beta1
kind: SpiderIPPool
metadata: {name: vlan100-v4}
spec:
  ipVersion: 4
  subnet: 10.100.0.0/24
  ips: [10.100.0.10-10.100.0.20]
  gateway: 10.100.0.1
  routes: [{dst: 172.16.0.0/16, gw: 10.100.0.254}]
---
apiVersion: spiderpool.spidernet.io/v2beta1
kind: SpiderIPPool
metadata: {name: vlan200-v4}
spec:
  ipVersion: 4
  subnet: 10.200.0.0/24
  ips: [10.200.0.50-10.200.0.60]
  gateway: 10.200.0.1
---
apiVersion: v1
kind: Namespace
metadata: {name: default}
---
apiVersion: v1
kind: Pod
metadata:
  name: two-nics
  namespace: default
  annotations:
    ipam.spidernet.io/ippools: '[{"interface":"eth0","ipv4":["vlan100-v4"]},{"interface":"net1","ipv4":["vlan200-v4"],"cleangateway":true}]'
---
apiVersion: v1
kind: Pod
metadata:
  name: ref-pod
  namespace: default
  annotations:
    ipam.spidernet.io/ippool: '{"ipv4":["vlan200-v4"]}'
`;

before(() => {
  host = scene.host('h', 1500);
  dir = mkdtempSync(join(tmpdir(), 'tl-ipam-e2e-'));
  mkdirSync(join(dir, 'etc'));
  writeFileSync(join(dir, 'etc', 'pools.yaml'), manifests);
});
after(() => {
  scene.cleanup();
  rmSync(dir, { recursive: true, force: true });
});

const conf = (type: string) => ({
  cniVersion: '1.0.0',
  name: 'vlan-net',
  type,
  master: 'uplink0',
  ipam: {
    type: 'trunkline-ipam',
    manifestDir: join(dir, 'etc'),
    stateDir: join(dir, 'state'),
    store: { type: 'sqlite', path: join(dir, 'ipam.db') },
  },
});
const call = (
  command: string,
  pod: string,
  ifname: string,
  podName: string,
  containerId: string,
): CniCall => ({
  command,
  containerId,
  netns: pod,
  ifname,
  args: `IgnoreUnknown=1;K8S_POD_NAMESPACE=default;K8S_POD_NAME=${podName};K8S_POD_UID=uid-${podName}`,
  path: [DIST_CNI, REF_CNI],
});
type Addr = { addr_info: { family: string; local: string; prefixlen: number }[] };
type RouteJ = { dst: string; gateway?: string; dev: string };
const v4 = (ns: string, dev: string) =>
  ipj<Addr[]>(ns, ['addr', 'show', dev])[0]!
    .addr_info.filter((a) => a.family === 'inet')
    .map((a) => `${a.local}/${a.prefixlen}`);
async function holders(): Promise<string[]> {
  const store = new SqliteStore({ path: join(dir, 'ipam.db') });
  await store.open();
  try {
    return (await store.list()).map((a) => `${a.pool} ${a.ip} ${a.containerId}/${a.ifname}`);
  } finally {
    await store.close();
  }
}
const inRange = (cidr: string, base: string, lo: number, hi: number) => {
  const ip = cidr.split('/')[0]!;
  const last = Number(ip.split('.')[3]);
  return ip.startsWith(base) && last >= lo && last <= hi;
};

describe('trunkline-ipam end to end with macvlan', () => {
  it('each NIC gets an address from the pool its annotation names, with the pool gateway and routes', async () => {
    const pod = scene.netns('p');
    const eth0 = await runCni(
      MACVLAN,
      call('ADD', pod.path, 'eth0', 'two-nics', 'c-two'),
      conf('trunkline-macvlan'),
      host.path,
    );
    assert.equal(eth0.code, 0, eth0.stdout);
    const net1 = await runCni(
      MACVLAN,
      call('ADD', pod.path, 'net1', 'two-nics', 'c-two'),
      conf('trunkline-macvlan'),
      host.path,
    );
    assert.equal(net1.code, 0, net1.stdout);

    const a0 = v4(pod.name, 'eth0');
    const a1 = v4(pod.name, 'net1');
    assert.equal(a0.length, 1);
    assert.ok(inRange(a0[0]!, '10.100.0.', 10, 20), `eth0 ${a0} from vlan100-v4`);
    assert.equal(a1.length, 1);
    assert.ok(inRange(a1[0]!, '10.200.0.', 50, 60), `net1 ${a1} from vlan200-v4`);
    assert.ok(a0[0]!.endsWith('/24') && a1[0]!.endsWith('/24'), 'prefix from the pool subnet');

    const routes = ipj<RouteJ[]>(pod.name, ['route', 'show']);
    assert.ok(
      routes.some((r) => r.dst === 'default' && r.gateway === '10.100.0.1' && r.dev === 'eth0'),
      JSON.stringify(routes),
    );
    assert.ok(
      routes.some((r) => r.dst === '172.16.0.0/16' && r.gateway === '10.100.0.254' && r.dev === 'eth0'),
    );
    assert.ok(
      !routes.some((r) => r.dst === 'default' && r.dev === 'net1'),
      'cleangateway drops the default route on net1',
    );

    // The result names the pool gateway.
    const ips = eth0.json?.['ips'] as { address: string; gateway?: string }[];
    assert.equal(ips[0]?.gateway, '10.100.0.1');

    assert.deepEqual(await holders(), [
      `vlan100-v4 ${a0[0]!.split('/')[0]} c-two/eth0`,
      `vlan200-v4 ${a1[0]!.split('/')[0]} c-two/net1`,
    ]);
    // DEL both: the pools have no holders left.
    for (const ifname of ['net1', 'eth0']) {
      const d = await runCni(
        MACVLAN,
        call('DEL', pod.path, ifname, 'two-nics', 'c-two'),
        conf('trunkline-macvlan'),
        host.path,
      );
      assert.equal(d.code, 0, d.stdout);
    }
    assert.deepEqual(links(pod.name), ['lo']);
    assert.deepEqual(await holders(), []);
  });

  it('the reference macvlan plugin delegates to trunkline-ipam and releases through it', async () => {
    const pod = scene.netns('r');
    const add = await runCni(
      join(REF_CNI, 'macvlan'),
      call('ADD', pod.path, 'eth0', 'ref-pod', 'c-ref'),
      conf('macvlan'),
      host.path,
    );
    assert.equal(add.code, 0, add.stdout);
    const a = v4(pod.name, 'eth0');
    assert.ok(inRange(a[0]!, '10.200.0.', 50, 60), `ref macvlan got ${a} from vlan200-v4`);
    const routes = ipj<RouteJ[]>(pod.name, ['route', 'show']);
    assert.ok(routes.some((r) => r.dst === 'default' && r.gateway === '10.200.0.1'));
    assert.deepEqual(await holders(), [`vlan200-v4 ${a[0]!.split('/')[0]} c-ref/eth0`]);
    const del = await runCni(
      join(REF_CNI, 'macvlan'),
      call('DEL', pod.path, 'eth0', 'ref-pod', 'c-ref'),
      conf('macvlan'),
      host.path,
    );
    assert.equal(del.code, 0, del.stdout);
    assert.deepEqual(links(pod.name), ['lo']);
    assert.deepEqual(await holders(), []);
    const again = await runCni(
      join(REF_CNI, 'macvlan'),
      call('DEL', pod.path, 'eth0', 'ref-pod', 'c-ref'),
      conf('macvlan'),
      host.path,
    );
    assert.equal(again.code, 0, 'DEL is idempotent through the reference plugin too');
  });
});
