// Host plumbing on a real kernel with bonding and 802.1q: runs INSIDE the test VM (vm.test.ts boots
// it once for this whole file); skipped anywhere else. Every scene lives in tv* namespaces.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { after, describe, it } from 'node:test';
import { applyHostConfig } from '../../src/hostnet/apply.js';
import { HostApplyError } from '../../src/hostnet/errors.js';
import { parseHostConfig } from '../../src/hostnet/parse.js';
import { readState, toNmstate } from '../../src/hostnet/state.js';
import { defaultKernel } from '../../src/kernel/index.js';
import { ip, ipj } from '../helpers/netns.js';
import { seedConfig } from './fixtures.js';
import { exec, GATEWAYS, makeScene, pings, type Scene, snapshot } from './vm-scene.js';

const inVm = process.env['TRUNKLINE_IN_VM'] === '1';
const kernel = defaultKernel();
const scenes: Scene[] = [];

async function scene(): Promise<Scene> {
  const s = await makeScene();
  scenes.push(s);
  return s;
}

// biome-ignore lint/suspicious/noExplicitAny: ip -j output
type J = Record<string, any>;

/** All links of ns by name, from one `ip -j -d link show` (processes are slow under TCG). */
async function links(ns: string): Promise<Map<string, J>> {
  return new Map(ipj(ns, ['-d', 'link', 'show']).map((l: J) => [l['ifname'], l]));
}
const link = async (ns: string, name: string): Promise<J> => (await links(ns)).get(name) ?? {};

/** Netlink link/address events in `ns` while fn runs: proves an apply touched nothing. */
async function events(ns: string, fn: () => Promise<unknown>): Promise<string> {
  const mon = spawn('ip', ['-n', ns, 'monitor', 'link', 'address'], { stdio: ['ignore', 'pipe', 'ignore'] });
  let out = '';
  mon.stdout.setEncoding('utf8').on('data', (c: string) => {
    out += c;
  });
  await new Promise((r) => setTimeout(r, 300)); // let it subscribe
  try {
    await fn();
    await new Promise((r) => setTimeout(r, 300));
  } finally {
    mon.kill();
  }
  // The kernel adds IPv6 link-local addresses by itself, asynchronously after a link comes up (and
  // after DAD): such an event may land in the window without anything having been changed by us.
  const records = out.split(/\n(?=\S)/).filter((r) => r.trim() !== '');
  return records.filter((r) => !/inet6 fe80::/.test(r)).join('\n');
}

const seed = (mode?: string, options?: string) =>
  seedConfig({ nics: ['ens224', 'ens256'], bond: 'bond0' }, mode, options);

describe('host plumbing on a real kernel', {
  skip: inVm ? false : 'runs inside the VM (test/hostnet/vm.test.ts)',
}, () => {
  after(async () => {
    for (const s of scenes) await s.cleanup();
  });

  it('active-backup bond + VLAN 100/200: apply, traffic through the trunk, show, idempotent re-apply', async () => {
    const { node, sw } = await scene();
    const report = await applyHostConfig(kernel, seed(), { ns: node.path });
    assert.equal(report.changed, true);

    const all = await links(node.name);
    const bond = all.get('bond0') ?? {};
    assert.equal(bond['linkinfo']['info_kind'], 'bond');
    assert.equal(bond['linkinfo']['info_data']['mode'], 'active-backup');
    assert.equal(bond['linkinfo']['info_data']['miimon'], 100);
    assert.ok(bond['flags'].includes('UP'));
    for (const nic of ['ens224', 'ens256']) assert.equal(all.get(nic)?.['master'], 'bond0', nic);
    for (const vid of [100, 200] as const) {
      const v = all.get(`bond0.${vid}`) ?? {};
      assert.deepEqual(
        [v['link'], v['linkinfo']['info_data']['id'], v['flags'].includes('UP')],
        ['bond0', vid, true],
      );
      ip(['-n', node.name, 'addr', 'add', `10.${vid}.0.2/24`, 'dev', `bond0.${vid}`]);
      assert.ok(await pings(node.name, GATEWAYS[vid]), `gateway ${GATEWAYS[vid]} answers on VLAN ${vid}`);
    }
    // The switch learned the bond's MAC on VLANs 100 and 200 at the trunk port: the frames were tagged.
    const fdb = JSON.parse(await exec(sw.name, 'bridge', ['-j', 'fdb', 'show', 'br', 'br0'])) as {
      mac: string;
      vlan?: number;
      ifname: string;
    }[];
    const learned = fdb.filter((f) => f.mac === bond['address'] && f.ifname.startsWith('p'));
    assert.deepEqual(learned.map((f) => f.vlan).sort(), [100, 200], JSON.stringify(learned));

    const shown = toNmstate(await readState(kernel, node.path)).interfaces;
    const b = shown.find((i) => i['name'] === 'bond0');
    assert.deepEqual((b?.['link-aggregation'] as { port?: string[] } | undefined)?.port, [
      'ens224',
      'ens256',
    ]);
    assert.deepEqual(shown.find((i) => i['name'] === 'bond0.200')?.['vlan'], {
      'base-iface': 'bond0',
      id: 200,
      protocol: '802.1q',
    });

    const before = await snapshot(node.name);
    let again: unknown;
    const seen = await events(node.name, async () => {
      again = await applyHostConfig(kernel, seed(), { ns: node.path });
    });
    assert.deepEqual(again, { changed: false, steps: [], rolledBack: false });
    assert.equal(seen, '', 'no netlink link/address events during the second apply');
    assert.deepEqual(await snapshot(node.name), before);
  });

  it('802.3ad bond + VLANs: options reach the kernel; a mode change keeps the VLANs; absent removes all', async () => {
    const { node } = await scene();
    const lacp = () => seed('802.3ad', 'miimon: 100, lacp_rate: fast, xmit_hash_policy: layer3+4');
    await applyHostConfig(kernel, lacp(), { ns: node.path });
    const data = (await link(node.name, 'bond0'))['linkinfo']['info_data'];
    assert.deepEqual(
      [data['mode'], data['miimon'], data['ad_lacp_rate'], data['xmit_hash_policy']],
      ['802.3ad', 100, 'fast', 'layer3+4'],
    );
    const again = await applyHostConfig(kernel, lacp(), { ns: node.path });
    assert.equal(again.changed, false);

    const vlanIndex = (await link(node.name, 'bond0.100'))['ifindex'];
    const r = await applyHostConfig(kernel, seed('1', 'miimon: 200'), { ns: node.path });
    assert.ok(r.steps.includes('set bond bond0 mode active-backup miimon 200'), r.steps.join('\n'));
    const now = await links(node.name);
    const bond = now.get('bond0') ?? {};
    assert.deepEqual(
      [bond['linkinfo']['info_data']['mode'], bond['linkinfo']['info_data']['miimon']],
      ['active-backup', 200],
    );
    assert.equal(now.get('bond0.100')?.['ifindex'], vlanIndex, 'bond0.100 kept, not recreated');
    for (const nic of ['ens224', 'ens256']) assert.equal(now.get(nic)?.['master'], 'bond0');

    // state: absent, listed in any order: the VLANs go before the bond, the NICs are released.
    await applyHostConfig(
      kernel,
      parseHostConfig(
        'interfaces:\n  - {name: bond0.200, type: vlan, state: absent}\n  - {name: bond0, type: bond, state: absent}\n  - {name: bond0.100, type: vlan, state: absent}\n',
      ),
      { ns: node.path },
    );
    const left = await links(node.name);
    assert.deepEqual([...left.keys()].sort(), ['ens224', 'ens256', 'lo']);
    for (const nic of ['ens224', 'ens256']) {
      const l = left.get(nic) ?? {};
      assert.equal(l['master'], undefined);
      assert.ok(l['flags'].includes('UP'), `${nic} up`);
    }
  });

  it('a step failing in the middle (VLAN id already used on bond0) leaves the previous state exactly', async () => {
    const { node } = await scene();
    await applyHostConfig(kernel, seed(), { ns: node.path });
    ip(['-n', node.name, 'addr', 'add', '10.100.0.2/24', 'dev', 'bond0.100']);
    const before = await snapshot(node.name);
    const bad = parseHostConfig(`interfaces:
  - {name: bond0, type: bond, link-aggregation: {mode: 802.3ad, options: {miimon: 50, lacp_rate: fast}, port: [ens224]}}
  - {name: bond0.300, type: vlan, vlan: {base-iface: bond0, id: 300}}
  - {name: zz100, type: vlan, vlan: {base-iface: bond0, id: 100}}
  - {name: ens256, type: ethernet, mtu: 1400}
`);
    await assert.rejects(applyHostConfig(kernel, bad, { ns: node.path }), (e: unknown) => {
      assert.ok(e instanceof HostApplyError, String(e));
      assert.match(e.message, /create vlan zz100 .*: .*rolled back to the previous state/);
      assert.ok(e.report.steps.includes('create vlan bond0.300 (bond0 id 300)'), e.report.steps.join('\n'));
      assert.equal(e.report.rollbackComplete, true, e.report.rollbackErrors.join('\n'));
      return true;
    });
    assert.deepEqual(await snapshot(node.name), before);
    assert.ok(await pings(node.name, GATEWAYS[100]), 'VLAN 100 works again');
  });

  it('a failed gateway probe rolls back (VLAN id changed away from the gateway); a good probe commits', async () => {
    const { node } = await scene();
    await applyHostConfig(kernel, seed(), { ns: node.path });
    ip(['-n', node.name, 'addr', 'add', '10.100.0.2/24', 'dev', 'bond0.100']);
    const before = await snapshot(node.name, false);
    const moved = parseHostConfig(
      'interfaces:\n  - {name: bond0.100, type: vlan, vlan: {base-iface: bond0, id: 101}}\n',
    );
    const probe = { gateway: GATEWAYS[100], timeoutMs: 3000 };
    await assert.rejects(applyHostConfig(kernel, moved, { ns: node.path, probe }), (e: unknown) => {
      assert.ok(e instanceof HostApplyError);
      assert.match(e.message, /probe failed: 10\.100\.0\.1 did not answer/);
      assert.equal(e.report.probe?.ok, false);
      assert.equal(e.report.rollbackComplete, true, e.report.rollbackErrors.join('\n'));
      return true;
    });
    assert.deepEqual(await snapshot(node.name, false), before, 'vlan id 100 and its address are back');
    assert.ok(await pings(node.name, GATEWAYS[100]));

    const ok = await applyHostConfig(kernel, seed('active-backup', 'miimon: 250'), { ns: node.path, probe });
    assert.equal(ok.probe?.ok, true);
    assert.equal((await link(node.name, 'bond0'))['linkinfo']['info_data']['miimon'], 250);
  });
});
