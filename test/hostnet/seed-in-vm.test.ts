// The seed topology end to end, INSIDE the test VM (vm.test.ts boots it; skipped elsewhere): two
// nodes, each with two NICs cabled to a VLAN-aware switch, configured by `applyHostConfig` into
// bond0 + bond0.100 + bond0.200; pods get macvlan NICs on the VLAN interfaces through the real CNI
// path (the plugin executable run in the node's namespace, host-local IPAM, one range per node
// and VLAN). Asserts traffic: same VLAN across nodes, VLAN to VLAN through the gateways, bond
// failover, and per-VLAN counters on the trunk ports.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { applyHostConfig } from '../../src/hostnet/apply.js';
import { defaultKernel } from '../../src/kernel/index.js';
import { runCni } from '../helpers/cni.js';
import { ip, ipj, makeNetns, type TestNetns } from '../helpers/netns.js';
import { DIST_CNI, REF_CNI } from '../helpers/paths.js';
import { seedConfig } from './fixtures.js';
import { cable, exec, GATEWAYS, makeSwitch, PREFIX, pings } from './vm-scene.js';

const inVm = process.env['TRUNKLINE_IN_VM'] === '1';
const OURS = join(DIST_CNI, 'trunkline-macvlan');
// The brief's fallback when the bundle is not built: the reference plugin, same config.
const PLUGIN = existsSync(OURS) ? OURS : join(REF_CNI, 'macvlan');

type Vid = 100 | 200;
interface Pod {
  ns: TestNetns;
  node: TestNetns;
  vid: Vid;
  ip: string;
  id: string;
}

const owned: TestNetns[] = [];
async function netns(): Promise<TestNetns> {
  const n = await makeNetns(PREFIX);
  owned.push(n);
  return n;
}

/** rx packets per (port, vid) on the switch, from the bridge's per-port VLAN counters. */
async function vlanCounters(sw: string): Promise<Map<string, number>> {
  const out = JSON.parse(await exec(sw, 'bridge', ['-s', '-j', 'vlan', 'show'])) as {
    ifname: string;
    vlans: { vid: number; rx_packets?: number }[];
  }[];
  const m = new Map<string, number>();
  for (const p of out) for (const v of p.vlans) m.set(`${p.ifname}/${v.vid}`, v.rx_packets ?? 0);
  return m;
}
const grew = (a: Map<string, number>, b: Map<string, number>) =>
  [...b].filter(([k, v]) => v > (a.get(k) ?? 0)).map(([k]) => k);

const activePort = async (node: TestNetns): Promise<string> =>
  ipj(node.name, ['-d', 'link', 'show', 'dev', 'bond0'])[0].linkinfo.info_data.active_slave;

describe('the seed topology end to end', {
  skip: inVm ? false : 'runs inside the VM (test/hostnet/vm.test.ts)',
}, () => {
  const work = inVm ? mkdtempSync('/tmp/tv-seed-') : '';
  after(async () => {
    for (const n of owned.reverse()) await n.cleanup();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('two bonded nodes, macvlan pods per VLAN: same-VLAN, cross-VLAN via gateways, failover, tags', async (t) => {
    const sw = await netns();
    await makeSwitch(sw);
    const nodes = [await netns(), await netns()] as const;
    // Switch port names say which node and NIC they face: n1a = node 1's ens224.
    await Promise.all(
      nodes.map((node, i) =>
        cable(node, sw, [
          ['ens224', `n${i + 1}a`],
          ['ens256', `n${i + 1}b`],
        ]),
      ),
    );
    await Promise.all(
      nodes.map((node) =>
        applyHostConfig(defaultKernel(), seedConfig({ nics: ['ens224', 'ens256'], bond: 'bond0' }), {
          ns: node.path,
        }),
      ),
    );

    // Pods: one per node and VLAN, through the CNI plugin executable in the node's namespace.
    const specs = nodes.flatMap((node, i) => ([100, 200] as const).map((vid) => ({ node, i, vid })));
    const pods: Pod[] = await Promise.all(
      specs.map(async ({ node, i, vid }): Promise<Pod> => {
        const ns = await netns();
        const id = `seed-n${i + 1}-v${vid}`;
        const conf = {
          cniVersion: '1.0.0',
          name: `vlan${vid}`,
          type: PLUGIN === OURS ? 'trunkline-macvlan' : 'macvlan',
          master: `bond0.${vid}`,
          mode: 'bridge',
          ipam: {
            type: 'host-local',
            dataDir: join(work, `node${i + 1}`),
            ranges: [
              [
                {
                  subnet: `10.${vid}.0.0/24`,
                  rangeStart: `10.${vid}.0.${10 * (i + 1)}`,
                  rangeEnd: `10.${vid}.0.${10 * (i + 1) + 9}`,
                  gateway: GATEWAYS[vid],
                },
              ],
            ],
            routes: [{ dst: '0.0.0.0/0' }],
          },
        };
        const call = {
          command: 'ADD',
          containerId: id,
          netns: ns.path,
          ifname: 'net1',
          path: [DIST_CNI, REF_CNI],
        };
        const r = await runCni(PLUGIN, call, conf, node.path);
        assert.equal(r.code, 0, `ADD ${id}: ${r.stdout}${r.stderr}`);
        const addr = (r.json?.['ips'] as { address: string }[] | undefined)?.[0]?.address ?? '';
        assert.match(addr, new RegExp(`^10\\.${vid}\\.0\\.${i + 1}\\d/24$`), `${id} got ${addr}`);
        return { ns, node, vid, ip: addr.split('/')[0] ?? '', id };
      }),
    );
    t.diagnostic(`plugin: ${PLUGIN}; pods: ${pods.map((p) => `${p.id}=${p.ip}`).join(' ')}`);
    const pod = (node: number, vid: Vid) => pods.find((p) => p.node === nodes[node] && p.vid === vid) as Pod;

    // Same VLAN, different nodes: through both bonds, the trunks and the switch.
    let before = await vlanCounters(sw.name);
    for (const vid of [100, 200] as const)
      assert.ok(await pings(pod(0, vid).ns.name, pod(1, vid).ip, 2), `VLAN ${vid}: node 1 pod → node 2 pod`);
    const active = [await activePort(nodes[0]), await activePort(nodes[1])];
    const seen = grew(before, await vlanCounters(sw.name));
    // Frames entered the switch tagged 100 and 200 on each node's active port. (Trunk ports have no
    // PVID, so an untagged frame would have been dropped rather than counted.)
    for (const [i, port] of active.entries()) {
      const sp = `n${i + 1}${port === 'ens224' ? 'a' : 'b'}`;
      assert.ok(seen.includes(`${sp}/100`) && seen.includes(`${sp}/200`), `tagged frames on ${sp}: ${seen}`);
    }

    // VLAN 100 → VLAN 200 across nodes, routed by the switch's gateways.
    assert.ok(
      await pings(pod(0, 100).ns.name, pod(1, 200).ip, 2),
      'VLAN 100 pod (node 1) → VLAN 200 pod (node 2)',
    );
    assert.ok(
      await pings(pod(1, 100).ns.name, pod(0, 200).ip, 2),
      'VLAN 100 pod (node 2) → VLAN 200 pod (node 1)',
    );

    // Failover: unplug node 1's active port at the switch; bond0 switches to the other NIC.
    const was = active[0] as string;
    const unplug = `n1${was === 'ens224' ? 'a' : 'b'}`;
    ip(['-n', sw.name, 'link', 'set', unplug, 'down']);
    let now = was;
    for (let i = 0; i < 50 && now === was; i++) {
      await new Promise((r) => setTimeout(r, 100));
      now = await activePort(nodes[0]);
    }
    assert.notEqual(now, was, 'bond0 on node 1 failed over');
    before = await vlanCounters(sw.name);
    let ok = false;
    for (let i = 0; i < 5 && !ok; i++) ok = await pings(pod(0, 100).ns.name, pod(1, 100).ip);
    assert.ok(ok, 'VLAN 100 traffic flows after the failover');
    assert.ok(await pings(pod(0, 200).ns.name, pod(1, 100).ip), 'and VLAN 200 → 100 through the gateway');
    const other = `n1${now === 'ens224' ? 'a' : 'b'}`;
    assert.ok(
      grew(before, await vlanCounters(sw.name)).includes(`${other}/100`),
      `traffic moved to ${other}`,
    );

    // DEL releases what ADD made (pod NICs and addresses); the VLAN interfaces stay.
    await Promise.all(
      pods.map(async (p) => {
        const call = {
          command: 'DEL',
          containerId: p.id,
          netns: p.ns.path,
          ifname: 'net1',
          path: [DIST_CNI, REF_CNI],
        };
        const conf = {
          cniVersion: '1.0.0',
          name: `vlan${p.vid}`,
          type: PLUGIN === OURS ? 'trunkline-macvlan' : 'macvlan',
          master: `bond0.${p.vid}`,
          ipam: {
            type: 'host-local',
            dataDir: join(work, `node${nodes.indexOf(p.node) + 1}`),
            ranges: [[{ subnet: `10.${p.vid}.0.0/24` }]],
          },
        };
        const r = await runCni(PLUGIN, call, conf, p.node.path);
        assert.equal(r.code, 0, `DEL ${p.id}: ${r.stdout}${r.stderr}`);
      }),
    );
    for (const p of pods) {
      const left = ipj(p.ns.name, ['link', 'show']).map((l: { ifname: string }) => l.ifname);
      assert.deepEqual(left, ['lo'], `${p.id} after DEL`);
    }
    for (const node of nodes) {
      const names = ipj(node.name, ['link', 'show'])
        .map((l: { ifname: string }) => l.ifname)
        .sort();
      assert.deepEqual(names, ['bond0', 'bond0.100', 'bond0.200', 'ens224', 'ens256', 'lo']);
    }
  });
});
