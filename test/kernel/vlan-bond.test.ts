// VLAN and bond links need the 8021q and bonding modules, which this machine's kernel lacks: the
// tests skip (with the reason) when the kernel answers "Unknown device type"; the VM tier runs them.
import assert from 'node:assert/strict';
import { after, before, describe, it, type TestContext } from 'node:test';
import { Iproute2Kernel, KernelError, type NewLink } from '../../src/kernel/index.js';
import { linkAddArgs, linkSetArgs } from '../../src/kernel/iproute2/args.js';
import { ipJson, makeNetns, type TestNetns } from '../helpers/netns.js';

const k = new Iproute2Kernel();

/** Create, or report why this kernel cannot (undefined = created). */
async function tryCreate(ns: string, spec: NewLink): Promise<string | undefined> {
  try {
    await k.createLink(ns, spec);
    return undefined;
  } catch (e) {
    if (e instanceof KernelError && /Unknown device type/.test(e.stderr))
      return `no ${spec.kind} support in this kernel`;
    throw e;
  }
}

describe('kernel: vlan and bond', () => {
  let ns: TestNetns;
  before(async () => {
    ns = await makeNetns('tk');
    await k.createLink(ns.path, { kind: 'veth', name: 'tkp0', peer: 'tkp1' });
    await k.createLink(ns.path, { kind: 'veth', name: 'tkq0', peer: 'tkq1' });
  });
  after(async () => {
    await ns?.cleanup();
  });

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

  it('creates 802.1Q and 802.1ad VLANs and lists their id and protocol', async (t: TestContext) => {
    const skip = await tryCreate(ns.path, { kind: 'vlan', name: 'tkp0.100', master: 'tkp0', id: 100 });
    if (skip) return t.skip(skip);
    await k.createLink(ns.path, {
      kind: 'vlan',
      name: 'tkp0.200',
      master: 'tkp0',
      id: 200,
      protocol: '802.1ad',
      mtu: 1400,
    });
    const j = (await ipJson(ns.name, ['-d', 'link', 'show', 'dev', 'tkp0.100']))[0];
    assert.deepEqual(
      [j.linkinfo.info_kind, j.linkinfo.info_data.id, j.linkinfo.info_data.protocol],
      ['vlan', 100, '802.1Q'],
    );
    const l = await k.getLink(ns.path, 'tkp0.200');
    assert.deepEqual(
      [l.kind, l.vlanId, l.vlanProtocol, l.parent, l.mtu],
      ['vlan', 200, '802.1ad', 'tkp0', 1400],
    );
  });

  it('creates a bond with options, changes an option, enslaves ports', async (t: TestContext) => {
    const skip = await tryCreate(ns.path, {
      kind: 'bond',
      name: 'tkbond0',
      mode: 'active-backup',
      options: { miimon: '100' },
    });
    if (skip) return t.skip(skip);
    let j = (await ipJson(ns.name, ['-d', 'link', 'show', 'dev', 'tkbond0']))[0];
    assert.deepEqual([j.linkinfo.info_data.mode, j.linkinfo.info_data.miimon], ['active-backup', 100]);
    await k.setLink(ns.path, 'tkbond0', { bondOptions: { miimon: '200' } });
    const l = await k.getLink(ns.path, 'tkbond0');
    assert.deepEqual([l.kind, l.bondMode, l.bondOptions?.['miimon']], ['bond', 'active-backup', '200']);
    for (const p of ['tkp1', 'tkq1']) await k.setLink(ns.path, p, { master: 'tkbond0' });
    await k.setLink(ns.path, 'tkbond0', { up: true });
    j = await ipJson(ns.name, ['-d', 'link', 'show', 'master', 'tkbond0']);
    assert.deepEqual(j.map((x: { ifname: string }) => x.ifname).sort(), ['tkp1', 'tkq1']);
    assert.equal((await k.getLink(ns.path, 'tkp1')).master, 'tkbond0');
    await k.createLink(ns.path, {
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
    const b1 = await k.getLink(ns.path, 'tkbond1');
    const o = b1.bondOptions ?? {};
    assert.equal(b1.bondMode, '802.3ad');
    assert.deepEqual(
      [o['miimon'], o['lacp_rate'], o['xmit_hash_policy'], o['num_grat_arp'], o['arp_ip_target']],
      ['100', 'fast', 'layer3+4', '3', '10.0.0.1,10.0.0.2'],
    );
  });
});
