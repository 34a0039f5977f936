// The netlink kernel backend (native addon) against the iproute2 backend on the same namespaces:
// what one writes the other reads back identically, errors have the same types, and changes may run
// concurrently. Skipped when the addon has not been built.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Exists, LinkNotFound, NetnsNotFound, NotFound } from '../../src/kernel/errors.js';
import { Iproute2Kernel } from '../../src/kernel/iproute2/kernel.js';
import { createNetlinkKernel } from '../../src/kernel/netlink/index.js';
import type { Link } from '../../src/kernel/types.js';
import { ip, ipj, Scene } from '../helpers/netns.js';
import { DIST } from '../helpers/paths.js';
import { tierSkip } from '../helpers/tier.js';

const ADDON = join(DIST, 'lib', 'trunkline_netlink.node');
const ip2 = new Iproute2Kernel();
const nl = existsSync(ADDON) ? createNetlinkKernel(ADDON, ip2) : undefined;

/** iproute2 reports a same-namespace parent by name only; the netlink backend adds its index. */
function comparable(l: Link, ref: Link): Link {
  const out = { ...l };
  if (ref.parentIndex === undefined) delete out.parentIndex;
  return out;
}

describe('netlink kernel backend', {
  skip: tierSkip('netlink', nl === undefined ? `no ${ADDON}` : undefined),
}, () => {
  const k = nl!;
  const scene = new Scene('ta');
  let a: { name: string; path: string };
  let b: { name: string; path: string };

  before(() => {
    a = scene.netns('a');
    b = scene.netns('b');
  });
  after(() => scene.cleanup());

  it('creates veth, vlan, bridge and macvlan links that iproute2 reads back identically', async () => {
    await k.createLink(a.path, {
      kind: 'veth',
      name: 'ta0',
      peer: 'ta0p',
      peerNetns: b.path,
      mtu: 1400,
      mac: '02:00:00:00:00:01',
    });
    await k.createLink(a.path, { kind: 'bridge', name: 'tabr0', mtu: 1400 });
    await k.createLink(a.path, { kind: 'veth', name: 'ta1', peer: 'ta1p' });
    await k.createLink(a.path, {
      kind: 'macvlan',
      name: 'tamv0',
      master: 'ta0',
      mode: 'bridge',
      mac: '02:00:00:00:00:02',
      netns: b.path,
    });
    await k.createLink(a.path, { kind: 'macvlan', name: 'tamv1', master: 'ta0', mode: 'private', mtu: 1300 });
    for (const ns of [a.path, b.path]) {
      const mine = await k.listLinks(ns);
      const ref = await ip2.listLinks(ns);
      assert.equal(mine.length, ref.length);
      for (const [i, l] of mine.entries()) assert.deepEqual(comparable(l, ref[i]!), ref[i]);
    }
    const mv = await k.getLink(b.path, 'tamv0');
    assert.equal(mv.kind, 'macvlan');
    assert.equal(mv.macvlanMode, 'bridge');
    assert.equal(mv.mac, '02:00:00:00:00:02');
    const peer = await k.getLink(a.path, 'ta1p');
    assert.deepEqual([peer.kind, peer.parent], ['veth', 'ta1']);
    assert.equal((await k.getLink(b.path, 'ta0p')).mtu, 1400);
    assert.deepEqual(
      comparable(await k.getLink(a.path, 'tamv1'), await ip2.getLink(a.path, 'tamv1')),
      await ip2.getLink(a.path, 'tamv1'),
    );
  });

  it('changes links like ip link set: rename, MAC, MTU, master, up, namespace', async () => {
    await k.setLink(a.path, 'tamv1', { name: 'tamv1x', mac: '02:00:00:00:00:03', mtu: 1280, up: true });
    let l = await ip2.getLink(a.path, 'tamv1x');
    assert.deepEqual([l.mac, l.mtu, l.up], ['02:00:00:00:00:03', 1280, true]);
    await k.setLink(a.path, 'ta1', { master: 'tabr0' });
    assert.equal((await ip2.getLink(a.path, 'ta1')).master, 'tabr0');
    assert.equal((await k.getLink(a.path, 'ta1')).master, 'tabr0');
    await k.setLink(a.path, 'ta1', { master: null });
    assert.equal((await ip2.getLink(a.path, 'ta1')).master, undefined);
    await k.setLink(a.path, 'tamv1x', { netns: b.path, name: 'tamv1' });
    assert.equal(await ip2.findLink(a.path, 'tamv1x'), undefined);
    l = await ip2.getLink(b.path, 'tamv1');
    assert.equal(l.mac, '02:00:00:00:00:03');
  });

  it('adds addresses and routes that iproute2 lists the same way (and lists them itself)', async () => {
    await k.batch(b.path, [
      { op: 'setLink', name: 'tamv0', change: { up: true } },
      { op: 'addAddr', ifname: 'tamv0', cidr: '10.88.0.5/24' },
      { op: 'addAddr', ifname: 'tamv0', cidr: 'fd00:88::5/64', noDad: true },
      { op: 'addAddr', ifname: 'tamv0', cidr: '10.89.0.1/32' },
    ]);
    const v4 = ipj<{ addr_info: { local: string; broadcast?: string }[] }[]>(b.name, [
      'addr',
      'show',
      'tamv0',
    ]);
    assert.equal(v4[0]?.addr_info.find((x) => x.local === '10.88.0.5')?.broadcast, '10.88.0.255');
    assert.deepEqual(await k.listAddrs(b.path, 'tamv0'), await ip2.listAddrs(b.path, 'tamv0'));
    assert.deepEqual(await k.listAddrs(b.path), await ip2.listAddrs(b.path));
    await k.batch(b.path, [
      { op: 'addRoute', route: { family: 4, dst: '0.0.0.0/0', gw: '10.88.0.1', dev: 'tamv0' } },
      {
        op: 'addRoute',
        route: { family: 4, dst: '10.90.0.0/16', dev: 'tamv0', metric: 50, mtu: 1400, advmss: 1360 },
      },
      {
        op: 'addRoute',
        route: { family: 4, dst: '10.91.0.0/16', gw: '10.99.0.1', dev: 'tamv0', onlink: true, table: 100 },
      },
      {
        op: 'addRoute',
        route: { family: 6, dst: 'fd00:99::/64', gw: 'fd00:88::1', dev: 'tamv0', table: 1000 },
      },
      {
        op: 'replaceRoute',
        route: { family: 4, dst: '10.90.0.0/16', dev: 'tamv0', metric: 50, src: '10.88.0.5' },
      },
      { op: 'addRoute', route: { family: 4, dst: '10.92.0.0/16', type: 'blackhole' } },
    ]);
    for (const opts of [
      {},
      { table: 'all' as const },
      { family: 6 as const, table: 1000 },
      { family: 4 as const, table: 100 },
    ]) {
      assert.deepEqual(
        await k.listRoutes(b.path, opts),
        await ip2.listRoutes(b.path, opts),
        JSON.stringify(opts),
      );
    }
    const main = await ip2.listRoutes(b.path);
    assert.ok(main.some((r) => r.dst === '10.90.0.0/16' && r.src === '10.88.0.5' && r.metric === 50));
    await k.delRoute(b.path, { family: 4, dst: '10.90.0.0/16', dev: 'tamv0', metric: 50 });
    assert.ok(!(await ip2.listRoutes(b.path)).some((r) => r.dst === '10.90.0.0/16'));
    await k.delAddr(b.path, 'tamv0', '10.89.0.1/32');
    assert.ok(!(await ip2.listAddrs(b.path, 'tamv0')).some((x) => x.cidr === '10.89.0.1/32'));
  });

  it('appends a second default route beside an existing one, as the reference plugins do', async () => {
    const c = scene.netns('c');
    ip(['-n', c.name, 'link', 'add', 'ovl0', 'type', 'veth', 'peer', 'name', 'mv0']);
    for (const [dev, cidr] of [
      ['ovl0', '10.233.64.5/24'],
      ['mv0', '10.100.0.5/24'],
    ] as const) {
      await k.batch(c.path, [
        { op: 'addAddr', ifname: dev, cidr },
        { op: 'setLink', name: dev, change: { up: true } },
      ]);
    }
    const def = (gw: string, dev: string) => ({ family: 4 as const, dst: '0.0.0.0/0', gw, dev });
    await k.batch(c.path, [{ op: 'addRoute', route: def('10.233.64.1', 'ovl0') }]);
    await assert.rejects(
      k.batch(c.path, [{ op: 'addRoute', route: def('10.100.0.1', 'mv0') }]),
      'plain add refuses',
    );
    await k.batch(c.path, [{ op: 'addRoute', append: true, route: def('10.100.0.1', 'mv0') }]);
    const defaults = ipj<{ gateway: string; dev: string }[]>(c.name, ['route', 'show', 'default']);
    assert.deepEqual(defaults.map((d) => `${d.gateway} ${d.dev}`).sort(), [
      '10.100.0.1 mv0',
      '10.233.64.1 ovl0',
    ]);
  });

  it('adds and removes rules and neighbours; reads and writes sysctls inside the namespace', async () => {
    await k.addRule(b.path, { family: 4, from: '10.88.0.5/32', table: 100, priority: 1000 });
    await k.addRule(b.path, {
      family: 6,
      to: 'fd00:99::/64',
      table: 1000,
      priority: 1001,
      fwmark: '0x10/0xff',
    });
    const r4 = await ip2.listRules(b.path, 4);
    assert.ok(r4.some((r) => r.priority === 1000 && r.from === '10.88.0.5/32' && r.table === 100));
    const r6 = await ip2.listRules(b.path, 6);
    assert.ok(
      r6.some(
        (r) => r.priority === 1001 && r.to === 'fd00:99::/64' && r.table === 1000 && r.fwmark === '0x10/0xff',
      ),
    );
    await k.addRule(b.path, {
      family: 4,
      to: '10.89.0.0/16',
      iif: 'lo',
      oif: 'tamv0',
      table: 101,
      priority: 1002,
    });
    await k.addRule(b.path, { family: 4, fwmark: '0x5', table: 102, priority: 1003 });
    // The netlink listing reads back exactly what `ip -j rule show` gives, defaults included.
    for (const fam of [4, 6] as const) {
      const byPrio = (l: { priority?: number }[]) =>
        [...l].sort((x, y) => (x.priority ?? 0) - (y.priority ?? 0));
      const theirs = byPrio(await ip2.listRules(b.path, fam));
      assert.ok(theirs.length >= (fam === 4 ? 6 : 3), JSON.stringify(theirs));
      assert.deepEqual(byPrio(await k.listRules(b.path, fam)), theirs);
    }
    await k.delRule(b.path, { family: 4, from: '10.88.0.5/32', table: 100, priority: 1000 });
    assert.ok(!(await ip2.listRules(b.path, 4)).some((r) => r.priority === 1000));
    assert.ok(!(await k.listRules(b.path, 4)).some((r) => r.priority === 1000));
    await k.setNeighbour(b.path, { family: 4, ip: '10.88.0.9', mac: '02:00:00:00:00:09', dev: 'tamv0' });
    const n = (await ip2.listNeighbours(b.path, 'tamv0')).find((x) => x.ip === '10.88.0.9');
    assert.deepEqual([n?.mac, n?.state], ['02:00:00:00:00:09', 'PERMANENT']);
    await k.sysctlSet(b.path, 'net/ipv4/conf/tamv0/arp_notify', '1');
    assert.equal(await ip2.sysctlGet(b.path, 'net.ipv4.conf.tamv0.arp_notify'), '1');
    assert.equal(await k.sysctlGet(b.path, 'net/ipv4/conf/tamv0/arp_notify'), '1');
    // Namespaced: the same key elsewhere is untouched.
    assert.equal(
      await k.sysctlGet(a.path, 'net/ipv4/conf/default/arp_notify'),
      await ip2.sysctlGet(a.path, 'net/ipv4/conf/default/arp_notify'),
    );
  });

  it('reports the same typed errors as the iproute2 backend', async () => {
    const missingNs = '/var/run/netns/ta-does-not-exist';
    const cases: [string, () => Promise<unknown>, new (...a: never[]) => Error][] = [
      ['getLink missing', () => k.getLink(a.path, 'ta-nope'), LinkNotFound],
      ['deleteLink missing', () => k.deleteLink(a.path, 'ta-nope'), LinkNotFound],
      ['setLink missing', () => k.setLink(a.path, 'ta-nope', { up: true }), LinkNotFound],
      [
        'macvlan on a missing master',
        () => k.createLink(a.path, { kind: 'macvlan', name: 'tax', master: 'ta-nope', mode: 'bridge' }),
        LinkNotFound,
      ],
      ['create an existing name', () => k.createLink(a.path, { kind: 'bridge', name: 'tabr0' }), Exists],
      ['add an existing address', () => k.addAddr(b.path, 'tamv0', '10.88.0.5/24'), Exists],
      [
        'add an existing route',
        () => k.addRoute(b.path, { family: 4, dst: '0.0.0.0/0', gw: '10.88.0.1', dev: 'tamv0' }),
        Exists,
      ],
      ['delete a missing address', () => k.delAddr(b.path, 'tamv0', '10.77.7.7/24'), NotFound],
      [
        'delete a missing route',
        () => k.delRoute(b.path, { family: 4, dst: '10.77.0.0/16', dev: 'tamv0' }),
        NotFound,
      ],
      [
        'sysctl of a missing interface',
        () => k.sysctlGet(b.path, 'net/ipv4/conf/ta-nope/arp_notify'),
        LinkNotFound,
      ],
      ['a missing namespace', () => k.listLinks(missingNs), NetnsNotFound],
      [
        'a missing namespace as macvlan target',
        () =>
          k.createLink(a.path, {
            kind: 'macvlan',
            name: 'tax',
            master: 'ta0',
            mode: 'bridge',
            netns: missingNs,
          }),
        NetnsNotFound,
      ],
      ['sysctl in a missing namespace', () => k.sysctlGet(missingNs, 'net/ipv4/ip_forward'), NetnsNotFound],
    ];
    for (const [what, fn, type] of cases) await assert.rejects(fn, type, what);
    // The iproute2 backend agrees on the ones both can express.
    await assert.rejects(() => ip2.getLink(a.path, 'ta-nope'), LinkNotFound);
    await assert.rejects(
      () => ip2.delRoute(b.path, { family: 4, dst: '10.77.0.0/16', dev: 'tamv0' }),
      NotFound,
    );
  });

  it('creates VLANs (where the kernel has 802.1Q)', async (t) => {
    try {
      await ip2.createLink(a.path, { kind: 'vlan', name: 'ta0.99', master: 'ta0', id: 99 });
      await ip2.deleteLink(a.path, 'ta0.99');
    } catch {
      t.skip('no 802.1Q support in this kernel');
      return;
    }
    await k.createLink(a.path, {
      kind: 'vlan',
      name: 'ta0.200',
      master: 'ta0',
      id: 200,
      protocol: '802.1ad',
    });
    const vlan = await k.getLink(a.path, 'ta0.200');
    assert.deepEqual([vlan.vlanId, vlan.vlanProtocol, vlan.parent], [200, '802.1ad', 'ta0']);
    assert.deepEqual(
      comparable(vlan, await ip2.getLink(a.path, 'ta0.200')),
      await ip2.getLink(a.path, 'ta0.200'),
    );
  });

  it('runs many changes concurrently (off the main thread)', async () => {
    const names = Array.from({ length: 24 }, (_, i) => `tac${i}`);
    await Promise.all(
      names.map((name) =>
        k.createLink(a.path, { kind: 'macvlan', name, master: 'ta0', mode: 'bridge', netns: b.path }),
      ),
    );
    assert.equal((await ip2.listLinks(b.path)).filter((l) => l.name.startsWith('tac')).length, 24);
    await Promise.all(names.map((name) => k.deleteLink(b.path, name)));
    assert.equal((await ip2.listLinks(b.path)).filter((l) => l.name.startsWith('tac')).length, 0);
  });
});
