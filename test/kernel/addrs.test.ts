// Addresses: IPv4 (with the broadcast the reference plugins set), IPv6 with and without DAD,
// tentative/dadFailed reporting, deletion and typed errors.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Exists, Iproute2Kernel, isGone, LinkNotFound, NotFound } from '../../src/kernel/index.js';
import { ipj, makeNetns, type TestNetns } from '../helpers/netns.js';

const k = new Iproute2Kernel();
const addrInfo = async (ns: string, dev: string) => ipj(ns, ['addr', 'show', 'dev', dev])[0].addr_info;

describe('kernel: addresses', () => {
  let a: TestNetns;
  let b: TestNetns;
  before(async () => {
    a = await makeNetns('tk');
    b = await makeNetns('tk');
    await k.createLink(a.path, { kind: 'veth', name: 'tka0', peer: 'tkb0', peerNetns: b.path });
    await k.setLink(a.path, 'tka0', { up: true });
    await k.setLink(b.path, 'tkb0', { up: true });
  });
  after(async () => {
    await a?.cleanup();
    await b?.cleanup();
  });

  it('adds an IPv4 address with its broadcast and lists it typed', async () => {
    await k.addAddr(a.path, 'tka0', '10.1.0.5/24');
    const info = (await addrInfo(a.name, 'tka0')).find((x: { local: string }) => x.local === '10.1.0.5');
    assert.equal(info.prefixlen, 24);
    assert.equal(info.broadcast, '10.1.0.255');
    const addrs = await k.listAddrs(a.path, 'tka0');
    assert.deepEqual(
      addrs.find((x) => x.cidr === '10.1.0.5/24'),
      { ifname: 'tka0', family: 4, cidr: '10.1.0.5/24', scope: 'global' },
    );
    assert.ok((await k.listAddrs(a.path)).some((x) => x.ifname === 'lo' && x.cidr === '127.0.0.1/8'));
  });

  it('adds IPv6 with nodad (usable at once) and without (tentative), and reports DAD failure', async () => {
    await k.addAddr(a.path, 'tka0', 'fd00::5/64', { noDad: true });
    await k.addAddr(a.path, 'tka0', 'fd00::6/64');
    const info = await addrInfo(a.name, 'tka0');
    assert.equal(info.find((x: { local: string }) => x.local === 'fd00::5').nodad, true);
    let addrs = await k.listAddrs(a.path, 'tka0');
    const v6 = (c: string) => addrs.find((x) => x.cidr === c);
    assert.equal(v6('fd00::5/64')?.tentative, undefined);
    assert.equal(v6('fd00::5/64')?.family, 6);
    assert.equal(v6('fd00::6/64')?.tentative, true);
    // A duplicate: b owns fd00::9, a probes for it and must see DAD fail (about one second).
    await k.addAddr(b.path, 'tkb0', 'fd00::9/64', { noDad: true });
    await k.addAddr(a.path, 'tka0', 'fd00::9/64');
    for (let i = 0; i < 50 && !v6('fd00::9/64')?.dadFailed; i++) {
      await new Promise((r) => setTimeout(r, 100));
      addrs = await k.listAddrs(a.path, 'tka0');
    }
    assert.equal(v6('fd00::9/64')?.dadFailed, true);
    assert.ok(
      (await addrInfo(a.name, 'tka0')).find((x: { local: string }) => x.local === 'fd00::9').dadfailed,
    );
  });

  it('deletes addresses; a second delete is NotFound (isGone)', async () => {
    await k.delAddr(a.path, 'tka0', '10.1.0.5/24');
    await k.delAddr(a.path, 'tka0', 'fd00::5/64');
    const left = (await addrInfo(a.name, 'tka0')).map((x: { local: string }) => x.local);
    assert.ok(!left.includes('10.1.0.5') && !left.includes('fd00::5'));
    for (const c of ['10.1.0.5/24', 'fd00::5/64']) {
      await assert.rejects(k.delAddr(a.path, 'tka0', c), (e: unknown) => e instanceof NotFound && isGone(e));
    }
  });

  it('typed errors: Exists on a duplicate, LinkNotFound on a missing interface', async () => {
    await k.addAddr(a.path, 'tka0', '10.1.0.7/24');
    await assert.rejects(k.addAddr(a.path, 'tka0', '10.1.0.7/24'), Exists);
    await k.addAddr(a.path, 'tka0', 'fd00::7/64', { noDad: true });
    await assert.rejects(k.addAddr(a.path, 'tka0', 'fd00::7/64', { noDad: true }), Exists);
    await assert.rejects(
      k.addAddr(a.path, 'tknope', '10.1.0.8/24'),
      (e: unknown) => e instanceof LinkNotFound && e.link === 'tknope',
    );
    await assert.rejects(k.listAddrs(a.path, 'tknope'), LinkNotFound);
  });
});
