// Overlay (macvlan-overlay) pods: the Calico-like overlay owns eth0, macvlan is net1, the coordinator
// sets up per-NIC policy routing. Run through the conflist runner inside a node namespace.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { addList, checkList, delList, type RuntimeConf } from '../../../src/cni/conflist.js';
import type { NetConfList } from '../../../src/cni/types.js';
import { ip, ipj } from '../../helpers/netns.js';
import { REF_CNI } from '../../helpers/paths.js';
import { counters, GATEWAY, ping, type SceneNode, UnderlayScene } from '../../helpers/underlay-scene.js';

const scene = new UnderlayScene('tc');
const SERVICE = '10.96.0.10';
const NET1_IP = '10.10.0.23';

const macvlan = (address: string) => ({
  type: 'trunkline-macvlan',
  master: 'tcup0',
  mode: 'bridge',
  // A secondary NIC's IPAM gives no default route: the pod's default stays on eth0.
  ipam: { type: 'static', addresses: [{ address, gateway: GATEWAY }] },
});

function conflist(coordinator: Record<string, unknown>): NetConfList {
  return {
    cniVersion: '1.0.0',
    name: 'tc-overlay',
    plugins: [
      macvlan(`${NET1_IP}/24`),
      {
        type: 'trunkline-coordinator',
        serviceCIDR: ['10.96.0.0/16'],
        overlayPodCIDR: ['10.244.0.0/16'],
        ...coordinator,
      },
    ] as unknown as NetConfList['plugins'],
  };
}

const rt = (node: SceneNode, pod: { path: string }, containerId: string, ifname: string): RuntimeConf => ({
  containerId,
  netns: pod.path,
  ifname,
  path: [node.bin, REF_CNI],
});

type RouteJ = { dst: string; dev: string; gateway?: string; table?: string };
type RuleJ = { src?: string; dst?: string; dstlen?: number; table: string };
const routes = (ns: string, table = 'main') => ipj<RouteJ[]>(ns, ['-4', 'route', 'show', 'table', table]);
const rules = (ns: string) => ipj<RuleJ[]>(ns, ['-4', 'rule', 'show']);
const sig = (r: RouteJ[]) => r.map((x) => `${x.dst}|${x.gateway ?? ''}|${x.dev}`).sort();

describe('coordinator overlay mode (macvlan-overlay)', () => {
  let n1: SceneNode;
  let n2: SceneNode;
  before(async () => {
    scene.build(2);
    [n1, n2] = scene.nodes as [SceneNode, SceneNode];
    scene.overlayPod(n1, 'o1', 5);
    const o2 = scene.overlayPod(n2, 'o2', 5);
    scene.service(n1, SERVICE, o2.ip);
    // A macvlan pod on node 2 (no coordinator needed to answer same-subnet traffic).
    const b = scene.netns('mb');
    await addList(
      {
        cniVersion: '1.0.0',
        name: 'tc-plain',
        plugins: [macvlan('10.10.0.22/24')] as unknown as NetConfList['plugins'],
      },
      rt(n2, b, 'tcplainb', 'eth0'),
    );
  });
  after(() => scene.cleanup());

  it('net1 gets policy routing; eth0 keeps default, pod and Service traffic; DEL restores the pod', async () => {
    const pod = scene.overlayPod(n1, 'op', 6);
    const before = sig(routes(pod.name));
    const list = conflist({});
    const r = rt(n1, pod, 'tcoverlaypod01', 'net1');
    const res = await addList(list, r);
    assert.deepEqual(
      res.interfaces?.map((i) => i.name),
      ['net1'],
    );

    // Pod side: net1's subnet lives in table 100, reached by `to`/`from` rules; default stays on eth0.
    const main = routes(pod.name);
    assert.ok(!main.some((x) => x.dev === 'net1'), `no net1 route left in main: ${JSON.stringify(main)}`);
    assert.ok(main.some((x) => x.dst === 'default' && x.dev === 'eth0'));
    assert.ok(main.some((x) => x.dst === '10.96.0.0/16' && x.dev === 'eth0' && x.gateway === n1.ip));
    const t100 = routes(pod.name, '100');
    assert.ok(
      t100.some((x) => x.dst === '10.10.0.0/24' && x.dev === 'net1'),
      JSON.stringify(t100),
    );
    assert.ok(t100.some((x) => x.dst === 'default' && x.dev === 'net1' && x.gateway === GATEWAY));
    assert.ok(t100.some((x) => x.dst === n1.ip && x.dev === 'eth0'));
    assert.ok(t100.some((x) => x.dst === '10.244.0.0/16' && x.dev === 'eth0'));
    const pr = rules(pod.name);
    assert.ok(
      pr.some((x) => x.src === NET1_IP && x.table === '100'),
      JSON.stringify(pr),
    );
    assert.ok(pr.some((x) => x.dst === '10.10.0.0' && x.dstlen === 24 && x.table === '100'));
    // Host side: the node reaches net1's address through eth0's veth.
    const hr = ipj<RuleJ[]>(n1.name, ['-4', 'rule', 'show']);
    assert.ok(hr.some((x) => x.dst === NET1_IP && x.table === '500'));
    assert.ok(routes(n1.name, '500').some((x) => x.dst === NET1_IP && x.dev === 'tcc3'));

    // Traffic.
    assert.equal(await ping(pod.name, '10.244.1.5'), true, 'overlay pod on the same node');
    assert.equal(await ping(pod.name, '10.244.2.5'), true, 'overlay pod on the other node');
    assert.match(ip(['-n', pod.name, 'route', 'get', '10.244.2.5']), /dev eth0/);
    assert.equal(await ping(pod.name, SERVICE), true, 'Service via eth0');
    assert.match(ip(['-n', pod.name, 'route', 'get', SERVICE]), /dev eth0/);
    let c0 = counters(pod.name, 'net1');
    assert.equal(await ping(pod.name, '10.10.0.22'), true, 'macvlan pod on the other node');
    assert.match(ip(['-n', pod.name, 'route', 'get', '10.10.0.22']), /dev net1/);
    assert.ok(counters(pod.name, 'net1').tx >= c0.tx + 1, 'left through net1');
    assert.equal(await ping(n1.name, NET1_IP), true, 'its node reaches net1 through eth0');

    // Replies to traffic that arrived on net1 (from a routed subnet) leave through net1, not eth0.
    c0 = counters(pod.name, 'net1');
    const e0 = counters(pod.name, 'eth0');
    assert.equal(await ping(scene.remote.name, NET1_IP, { count: 5 }), true, 'remote client → net1');
    const c1 = counters(pod.name, 'net1');
    const e1 = counters(pod.name, 'eth0');
    assert.ok(c1.rx >= c0.rx + 5 && c1.tx >= c0.tx + 5, `net1 rx/tx ${c0.rx}/${c0.tx} → ${c1.rx}/${c1.tx}`);
    assert.ok(e1.tx < e0.tx + 5, `eth0 carried the replies: tx ${e0.tx} → ${e1.tx}`);

    await checkList(list, r, res);
    ip(['-n', pod.name, 'route', 'del', '10.96.0.0/16', 'table', '100']);
    await assert.rejects(
      checkList(list, r, res),
      /route 10\.96\.0\.0\/16 via 10\.10\.0\.11 dev eth0 table 100/,
    );

    await delList(list, r, res);
    assert.deepEqual(sig(routes(pod.name)), before, 'main table as before ADD');
    assert.deepEqual(routes(pod.name, '100'), []);
    assert.ok(!rules(pod.name).some((x) => x.table === '100'));
    assert.ok(!ipj<RuleJ[]>(n1.name, ['-4', 'rule', 'show']).some((x) => x.dst === NET1_IP));
    assert.ok(!routes(n1.name, '500').some((x) => x.dst === NET1_IP));
    await delList(list, r, res);
  });

  it('podDefaultRouteNic: net1 takes the default route, eth0 routes move to table 100', async () => {
    const pod = scene.overlayPod(n1, 'od', 7);
    const before = sig(routes(pod.name));
    const list = conflist({ podDefaultRouteNic: 'net1' });
    list.plugins[0] = {
      ...macvlan('10.10.0.24/24'),
      ipam: {
        type: 'static',
        addresses: [{ address: '10.10.0.24/24', gateway: GATEWAY }],
        routes: [{ dst: '10.30.0.0/16' }],
      },
    } as unknown as NetConfList['plugins'][number];
    const r = rt(n1, pod, 'tcoverlaypod02', 'net1');
    const res = await addList(list, r);
    const main = routes(pod.name);
    assert.ok(!main.some((x) => x.dst === 'default' && x.dev === 'eth0'), JSON.stringify(main));
    const t100 = routes(pod.name, '100');
    assert.ok(
      t100.some((x) => x.dst === 'default' && x.dev === 'eth0'),
      JSON.stringify(t100),
    );
    assert.ok(rules(pod.name).some((x) => x.src === '10.244.1.7' && x.table === '100'));
    // Service and overlay traffic still use eth0 (main keeps the node/Service routes).
    assert.equal(await ping(pod.name, '10.244.2.5'), true);
    assert.match(ip(['-n', pod.name, 'route', 'get', SERVICE]), /dev eth0/);
    await delList(list, r, res);
    assert.deepEqual(sig(routes(pod.name)), before, 'eth0 routes back in main');
  });

  it('a failing ADD undoes its routes and rules (unsupported podDefaultRouteNic)', async () => {
    const pod = scene.overlayPod(n1, 'of', 8);
    const before = sig(routes(pod.name));
    const list = conflist({ podDefaultRouteNic: 'lo' });
    list.plugins[0] = macvlan('10.10.0.25/24') as unknown as NetConfList['plugins'][number];
    const r = rt(n1, pod, 'tcoverlayfail1', 'net1');
    await assert.rejects(
      addList(list, r),
      /podDefaultRouteNic "lo" cannot take the default route from "eth0"/,
    );
    const main = sig(routes(pod.name)).filter((x) => !x.endsWith('|net1'));
    assert.deepEqual(main, before, 'no coordinator route left in main');
    assert.deepEqual(routes(pod.name, '100'), []);
    assert.ok(!rules(pod.name).some((x) => x.table === '100'));
    assert.ok(!ipj<RuleJ[]>(n1.name, ['-4', 'rule', 'show']).some((x) => x.dst === '10.10.0.25'));
    await delList(list, r);
    assert.deepEqual(sig(routes(pod.name)), before);
  });
});
