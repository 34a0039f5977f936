// Underlay (macvlan-standalone) pods coordinated through the conflist runner, as a runtime would:
// macvlan → coordinator inside a node namespace; traffic asserted with ping between namespaces.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { addList, checkList, delList, type RuntimeConf } from '../../../src/cni/conflist.js';
import type { NetConfList, Result } from '../../../src/cni/types.js';
import { runCni } from '../../helpers/cni.js';
import { ip, ipj, links } from '../../helpers/netns.js';
import { DIST_CNI, REF_CNI } from '../../helpers/paths.js';
import { GATEWAY, ping, type SceneNode, UnderlayScene } from '../../helpers/underlay-scene.js';

const scene = new UnderlayScene('tc');
const SERVICE = '10.96.0.10';

function conflist(address: string, coordinator: Record<string, unknown> | undefined): NetConfList {
  const plugins: NetConfList['plugins'] = [
    {
      type: 'trunkline-macvlan',
      master: 'tcup0',
      mode: 'bridge',
      ipam: {
        type: 'static',
        addresses: [{ address, gateway: GATEWAY }],
        routes: [{ dst: '0.0.0.0/0' }],
      },
    } as unknown as NetConfList['plugins'][number],
  ];
  if (coordinator) {
    plugins.push({
      type: 'trunkline-coordinator',
      mode: 'underlay',
      serviceCIDR: ['10.96.0.0/16'],
      overlayPodCIDR: ['10.244.0.0/16'],
      hijackCIDR: ['169.254.20.10/32'],
      ...coordinator,
    } as unknown as NetConfList['plugins'][number]);
  }
  return { cniVersion: '1.0.0', name: 'tc-underlay', plugins };
}

const rt = (node: SceneNode, pod: { path: string }, containerId: string, ifname = 'eth0'): RuntimeConf => ({
  containerId,
  netns: pod.path,
  ifname,
  path: [node.bin, REF_CNI],
});

type RuleJ = { priority: number; dst?: string; table: string };
const hostRules = (node: SceneNode, ip: string) =>
  ipj<RuleJ[]>(node.name, ['-4', 'rule', 'show']).filter((r) => r.dst === ip);

describe('coordinator underlay mode (macvlan-standalone)', () => {
  let n1: SceneNode;
  let n2: SceneNode;
  before(() => {
    scene.build(2);
    [n1, n2] = scene.nodes as [SceneNode, SceneNode];
    const backend = scene.overlayPod(n1, 'o1', 5);
    scene.service(n1, SERVICE, backend.ip);
  });
  after(() => scene.cleanup());

  it('a plain macvlan pod cannot reach its node (the problem being solved)', async () => {
    const pod = scene.netns('pm');
    const list = conflist('10.10.0.29/24', undefined);
    const r = rt(n1, pod, 'tcplainpod01');
    await addList(list, r);
    assert.equal(await ping(pod.name, GATEWAY), true, 'the switch is reachable');
    assert.equal(await ping(pod.name, n1.ip), false, 'but the parent node is not');
    await delList(list, r);
  });

  it('standalone pod reaches node, Service and a pod on the other node; the node reaches it; DEL cleans up', async () => {
    const podA = scene.netns('pa');
    const podB = scene.netns('pb');
    const listA = conflist('10.10.0.21/24', {});
    const listB = conflist('10.10.0.22/24', {});
    const rtA = rt(n1, podA, 'tcpodaaaaaaaa01');
    const rtB = rt(n2, podB, 'tcpodbbbbbbbb02');
    const resA = await addList(listA, rtA);
    const resB = await addList(listB, rtB);

    // prevResult passes through unchanged.
    assert.deepEqual(
      resA.ips?.map((i) => i.address),
      ['10.10.0.21/24'],
    );
    assert.deepEqual(
      resA.interfaces?.map((i) => i.name),
      ['eth0'],
    );
    assert.ok(links(podA.name).includes('veth0'), 'veth0 in the pod');
    const hostVeth = `veth${rtA.containerId.slice(0, 11)}`;
    assert.ok(links(n1.name).includes(hostVeth), 'host end named veth<containerID[:11]>');
    assert.deepEqual(
      hostRules(n1, '10.10.0.21').map((r) => [r.priority, r.table]),
      [[1000, '500']],
    );
    const t500 = ipj<{ dst: string; dev: string }[]>(n1.name, ['route', 'show', 'table', '500']);
    assert.ok(
      t500.some((x) => x.dst === '10.10.0.21' && x.dev === hostVeth),
      JSON.stringify(t500),
    );
    const podRoutes = ipj<{ dst: string; dev: string; gateway?: string }[]>(podA.name, ['route', 'show']);
    for (const [dst, gw] of [
      ['10.10.0.11', undefined],
      ['10.96.0.0/16', '10.10.0.11'],
      ['10.244.0.0/16', '10.10.0.11'],
      ['169.254.20.10', '10.10.0.11'],
    ] as const) {
      assert.ok(
        podRoutes.some((x) => x.dst === dst && x.dev === 'veth0' && x.gateway === gw),
        `${dst} via veth0: ${JSON.stringify(podRoutes)}`,
      );
    }
    assert.ok(podRoutes.some((x) => x.dst === 'default' && x.dev === 'eth0' && x.gateway === GATEWAY));

    // Traffic.
    assert.equal(await ping(podA.name, n1.ip), true, 'pod → its node');
    assert.equal(await ping(podA.name, SERVICE), true, 'pod → Service (DNAT on the node to an overlay pod)');
    assert.equal(await ping(podA.name, '10.10.0.22'), true, 'pod → macvlan pod on the other node');
    assert.match(ip(['-n', podA.name, 'route', 'get', '10.10.0.22']), /dev eth0/);
    assert.equal(await ping(n1.name, '10.10.0.21'), true, 'node → pod (kubelet probe path)');
    assert.equal(await ping(n2.name, '10.10.0.22'), true, 'other node → its own pod');
    assert.equal(await ping(podA.name, GATEWAY), true, 'pod → VLAN gateway via eth0');

    // CHECK passes, then fails once a host rule is gone.
    await checkList(listA, rtA, resA);
    ip(['-n', n1.name, 'rule', 'del', 'to', '10.10.0.21', 'table', '500']);
    await assert.rejects(checkList(listA, rtA, resA), /rule "to 10\.10\.0\.21\/32 lookup 500" not found/);

    // DEL removes veth pair, host rules and routes; a second DEL succeeds.
    await delList(listA, rtA, resA);
    assert.deepEqual(links(podA.name), ['lo']);
    assert.ok(!links(n1.name).includes(hostVeth));
    assert.deepEqual(hostRules(n1, '10.10.0.21'), []);
    await delList(listA, rtA, resA);

    // DEL after the sandbox is gone still removes the host rule.
    assert.equal(hostRules(n2, '10.10.0.22').length, 1);
    scene.remove(podB.name);
    await delList(listB, rtB, resB as Result);
    assert.deepEqual(hostRules(n2, '10.10.0.22'), []);
    assert.ok(!links(n2.name).some((l) => l.startsWith('veth')));
  });

  it('GC removes host rules whose pod route is gone and keeps live ones; STATUS is ready', async () => {
    const pod = scene.netns('pg');
    const list = conflist('10.10.0.26/24', {});
    const r = rt(n1, pod, 'tcgcpod000001');
    const res = await addList(list, r);
    ip(['-n', n1.name, 'rule', 'add', 'to', '10.10.0.99', 'table', '500', 'priority', '1000']);
    const conf = {
      cniVersion: '1.1.0',
      name: 'tc-underlay',
      type: 'trunkline-coordinator',
      detectIPConflict: true,
      'cni.dev/valid-attachments': [],
    };
    const bin = join(DIST_CNI, 'trunkline-coordinator');
    const noAgent = { TRUNKLINE_NO_AGENT: '1' };
    const gc = await runCni(bin, { command: 'GC', path: [REF_CNI], extraEnv: noAgent }, conf, n1.path);
    assert.equal(gc.code, 0, gc.stdout);
    assert.deepEqual(hostRules(n1, '10.10.0.99'), []);
    assert.equal(hostRules(n1, '10.10.0.26').length, 1, 'a live pod keeps its rule');
    const st = await runCni(bin, { command: 'STATUS', path: [REF_CNI], extraEnv: noAgent }, conf, n1.path);
    assert.equal(st.code, 0, st.stdout);
    await delList(list, r, res);
  });

  it('a second underlay NIC (net1) gets table 100 through veth0; DEL of both leaves nothing', async () => {
    const pod = scene.netns('p2');
    const l0 = conflist('10.10.0.27/24', {});
    const l1 = conflist('10.10.0.28/24', { mode: 'auto' });
    const plugins = l1.plugins as unknown as Record<string, unknown>[];
    delete (plugins[0]!['ipam'] as { routes?: unknown }).routes;
    const r0 = rt(n1, pod, 'tcmultinic0001');
    const r1 = rt(n1, pod, 'tcmultinic0001', 'net1');
    const res0 = await addList(l0, r0);
    const res1 = await addList(l1, r1);
    const t100 = ipj<{ dst: string; dev: string }[]>(pod.name, ['route', 'show', 'table', '100']);
    assert.ok(
      t100.some((x) => x.dst === n1.ip && x.dev === 'veth0'),
      JSON.stringify(t100),
    );
    assert.ok(t100.some((x) => x.dst === '10.10.0.0/24' && x.dev === 'net1'));
    assert.equal(await ping(n1.name, '10.10.0.28'), true, 'node → net1 through the veth');
    assert.equal(await ping(n1.name, '10.10.0.27'), true, 'node → eth0 through the veth');
    await checkList(l1, r1, res1);
    await delList(l1, r1, res1);
    assert.deepEqual(hostRules(n1, '10.10.0.28'), []);
    assert.deepEqual(ipj(pod.name, ['route', 'show', 'table', '100']), []);
    await delList(l0, r0, res0);
    assert.deepEqual(links(pod.name), ['lo']);
    assert.deepEqual(hostRules(n1, '10.10.0.27'), []);
  });

  it('attach order does not matter (podman --network a,b): eth1 first creates veth0, eth0 adopts it; DEL in either order', async () => {
    for (const delFirst of ['eth0', 'eth1']) {
      const pod = scene.netns(`po${delFirst.slice(-1)}`);
      const l0 = conflist('10.10.0.31/24', {});
      const l1 = conflist('10.10.0.32/24', {});
      delete ((l1.plugins[0] as unknown as Record<string, unknown>)['ipam'] as { routes?: unknown }).routes;
      const id = `tcorder${delFirst}00`;
      const r0 = rt(n1, pod, id);
      const r1 = rt(n1, pod, id, 'eth1');
      const res1 = await addList(l1, r1);
      assert.ok(links(pod.name).includes('veth0'), 'eth1, first, created veth0');
      const res0 = await addList(l0, r0);
      assert.equal(await ping(n1.name, '10.10.0.31'), true, 'node → eth0 through the veth');
      assert.equal(await ping(n1.name, '10.10.0.32'), true, 'node → eth1 through the veth');
      assert.equal(await ping(pod.name, n1.ip), true, 'pod → node');
      await checkList(l0, r0, res0);
      await checkList(l1, r1, res1);
      if (delFirst === 'eth0') {
        await delList(l0, r0, res0);
        await delList(l1, r1, res1);
      } else {
        await delList(l1, r1, res1);
        await delList(l0, r0, res0);
      }
      assert.deepEqual(links(pod.name), ['lo'], `DEL ${delFirst} first`);
      assert.deepEqual(hostRules(n1, '10.10.0.31'), []);
      assert.deepEqual(hostRules(n1, '10.10.0.32'), []);
      assert.ok(!links(n1.name).some((l) => l.startsWith('veth')), 'no host veth left');
    }
  });

  it('a veth0 that is not this container’s is refused before any change', async () => {
    const pod = scene.netns('pf');
    ip(['-n', pod.name, 'link', 'add', 'veth0', 'type', 'veth', 'peer', 'name', 'vpeer0']);
    const r = rt(n1, pod, 'tcforeign0001');
    await assert.rejects(addList(conflist('10.10.0.33/24', {}), r), /veth0 already exists .*its host end is/);
    assert.deepEqual(hostRules(n1, '10.10.0.33'), []);
  });
});
