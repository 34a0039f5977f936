// VLAN and bond links need the 8021q and bonding modules, which this machine's kernel lacks: the
// tests skip (with the reason) when the kernel answers "Unknown device type"; the VM tier runs them
// (test/hostnet/vm.test.ts), on both backends: iproute2 and netlink, the agent's default.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it, type TestContext } from 'node:test';
import { Iproute2Kernel, type Kernel, KernelError, type NewLink } from '../../src/kernel/index.js';
import { linkAddArgs, linkSetArgs } from '../../src/kernel/iproute2/args.js';
import { createNetlinkKernel } from '../../src/kernel/netlink/index.js';
import { ipj, makeNetns, type TestNetns } from '../helpers/netns.js';
import { DIST } from '../helpers/paths.js';
import { tierSkip } from '../helpers/tier.js';

const ADDON = join(DIST, 'lib', 'trunkline_netlink.node');
const iproute2 = new Iproute2Kernel();
const netlink = existsSync(ADDON) ? createNetlinkKernel(ADDON, iproute2) : undefined;

/** Create, or report why this kernel cannot (undefined = created). */
async function tryCreate(k: Kernel, ns: string, spec: NewLink): Promise<string | undefined> {
  try {
    await k.createLink(ns, spec);
    return undefined;
  } catch (e) {
    if (e instanceof KernelError && /Unknown device type|EOPNOTSUPP/.test(`${e.stderr} ${e.message}`))
      return `no ${spec.kind} support in this kernel`;
    throw e;
  }
}

describe('kernel: vlan and bond words for iproute2', () => {
  it('builds the iproute2 words for vlan and bond', () => {
    assert.deepEqual(linkAddArgs({ kind: 'vlan', name: 'tkbond0.100', master: 'tkbond0', id: 100 }), [
      'link',
      'add',
      'link',
      'tkbond0',
      'name',
      'tkbond0.100',
      'type',
      'vlan',
      'id',
      '100',
      'protocol',
      '802.1Q',
    ]);
    assert.deepEqual(
      linkAddArgs({
        kind: 'bond',
        name: 'tkbond0',
        mode: '802.3ad',
        options: { miimon: '100', lacp_rate: 'fast' },
        mtu: 9000,
      }),
      [
        'link',
        'add',
        'name',
        'tkbond0',
        'mtu',
        '9000',
        'type',
        'bond',
        'mode',
        '802.3ad',
        'miimon',
        '100',
        'lacp_rate',
        'fast',
      ],
    );
    assert.deepEqual(linkSetArgs('tkbond0', { bondOptions: { miimon: '200' }, up: true }), [
      'link',
      'set',
      'dev',
      'tkbond0',
      'up',
      'type',
      'bond',
      'miimon',
      '200',
    ]);
  });
});

for (const [backend, k] of [
  ['iproute2', iproute2],
  ['netlink', netlink],
] as const) {
  describe(`kernel: vlan and bond (${backend} backend)`, {
    skip: k === undefined ? tierSkip('netlink', `no ${ADDON}`) : false,
  }, () => {
    let ns: TestNetns;
    before(async () => {
      ns = await makeNetns('tk');
      await iproute2.createLink(ns.path, { kind: 'veth', name: 'tkp0', peer: 'tkp1' });
      await iproute2.createLink(ns.path, { kind: 'veth', name: 'tkq0', peer: 'tkq1' });
    });
    after(async () => {
      await ns?.cleanup();
    });

    it('creates 802.1Q and 802.1ad VLANs and lists their id and protocol', async (t: TestContext) => {
      const skip = await tryCreate(k!, ns.path, { kind: 'vlan', name: 'tkp0.100', master: 'tkp0', id: 100 });
      if (skip) return t.skip(skip);
      await k!.createLink(ns.path, {
        kind: 'vlan',
        name: 'tkp0.200',
        master: 'tkp0',
        id: 200,
        protocol: '802.1ad',
        mtu: 1400,
      });
      const j = ipj(ns.name, ['-d', 'link', 'show', 'dev', 'tkp0.100'])[0];
      assert.deepEqual(
        [j.linkinfo.info_kind, j.linkinfo.info_data.id, j.linkinfo.info_data.protocol],
        ['vlan', 100, '802.1Q'],
      );
      const l = await k!.getLink(ns.path, 'tkp0.200');
      assert.deepEqual(
        [l.kind, l.vlanId, l.vlanProtocol, l.parent, l.mtu],
        ['vlan', 200, '802.1ad', 'tkp0', 1400],
      );
    });

    it('creates a bond with options, changes an option, enslaves ports', async (t: TestContext) => {
      const skip = await tryCreate(k!, ns.path, {
        kind: 'bond',
        name: 'tkbond0',
        mode: 'active-backup',
        options: { miimon: '100' },
      });
      if (skip) return t.skip(skip);
      let j = ipj(ns.name, ['-d', 'link', 'show', 'dev', 'tkbond0'])[0];
      assert.deepEqual([j.linkinfo.info_data.mode, j.linkinfo.info_data.miimon], ['active-backup', 100]);
      await k!.setLink(ns.path, 'tkbond0', { bondOptions: { miimon: '200' } });
      const l = await k!.getLink(ns.path, 'tkbond0');
      assert.deepEqual([l.kind, l.bondMode, l.bondOptions?.['miimon']], ['bond', 'active-backup', '200']);
      for (const p of ['tkp1', 'tkq1']) await k!.setLink(ns.path, p, { master: 'tkbond0' });
      await k!.setLink(ns.path, 'tkbond0', { up: true });
      j = ipj(ns.name, ['-d', 'link', 'show', 'master', 'tkbond0']);
      assert.deepEqual(j.map((x: { ifname: string }) => x.ifname).sort(), ['tkp1', 'tkq1']);
      assert.equal((await k!.getLink(ns.path, 'tkp1')).master, 'tkbond0');
      await k!.createLink(ns.path, {
        kind: 'bond',
        name: 'tkbond1',
        mode: '802.3ad',
        options: {
          miimon: '100',
          lacp_rate: 'fast',
          xmit_hash_policy: 'layer3+4',
          num_grat_arp: '3',
          arp_ip_target: '10.0.0.1,10.0.0.2',
        },
      });
      // Listed options use the names that set them, so a desired state compares key by key.
      const b1 = await k!.getLink(ns.path, 'tkbond1');
      const o = b1.bondOptions ?? {};
      assert.equal(b1.bondMode, '802.3ad');
      assert.deepEqual(
        [o['miimon'], o['lacp_rate'], o['xmit_hash_policy'], o['num_grat_arp'], o['arp_ip_target']],
        ['100', 'fast', 'layer3+4', '3', '10.0.0.1,10.0.0.2'],
      );
    });
  });
}
