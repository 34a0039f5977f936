// Links: veth across namespaces, macvlan in every mode created on a master in one namespace directly
// into another (by /run/netns path and by /proc/PID path), changes, bridge ports, and typed errors.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Exists, Iproute2Kernel, LinkNotFound, type MacvlanMode } from '../../src/kernel/index.js';
import { ipj, makeNetns, makePidNetns, type PidNetns, type TestNetns } from '../helpers/netns.js';

const k = new Iproute2Kernel();
const one = async (ns: string, dev: string) => ipj(ns, ['-d', 'link', 'show', 'dev', dev])[0];

describe('kernel: links', () => {
  let host: TestNetns;
  let pod: TestNetns;
  let pid: PidNetns;
  before(async () => {
    host = await makeNetns('tk');
    pod = await makeNetns('tk');
    pid = await makePidNetns();
    // The master: a veth end in "host", its peer in "pod" (as a switch would be).
    await k.createLink(host.path, {
      kind: 'veth',
      name: 'tkup0',
      peer: 'tksw0',
      peerNetns: pod.path,
      mac: '02:00:00:00:10:01',
      peerMac: '02:00:00:00:10:02',
      mtu: 1450,
    });
  });
  after(async () => {
    await host?.cleanup();
    await pod?.cleanup();
    await pid?.cleanup();
  });

  it('creates a veth pair across namespaces with MACs and MTU on both ends', async () => {
    const a = await one(host.name, 'tkup0');
    const b = await one(pod.name, 'tksw0');
    assert.equal(a.address, '02:00:00:00:10:01');
    assert.equal(b.address, '02:00:00:00:10:02');
    assert.equal(a.mtu, 1450);
    assert.equal(b.mtu, 1450);
    assert.equal(a.linkinfo.info_kind, 'veth');
    const l = await k.getLink(host.path, 'tkup0');
    assert.equal(l.kind, 'veth');
    assert.equal(l.mac, '02:00:00:00:10:01');
    assert.equal(l.mtu, 1450);
    assert.equal(l.index, a.ifindex);
    assert.equal(l.parentIndex, b.ifindex); // the peer, in another namespace
    assert.equal(l.up, false);
  });

  const modes: MacvlanMode[] = ['bridge', 'private', 'vepa', 'passthru', 'source'];
  for (const mode of modes) {
    for (const via of ['/var/run/netns path', '/proc/PID path'] as const) {
      it(`creates a ${mode} macvlan from the host's master directly into a namespace by ${via}`, async () => {
        const dest = via === '/proc/PID path' ? pid.path : pod.path;
        const name = `tkm${mode.slice(0, 4)}`;
        await k.createLink(host.path, { kind: 'macvlan', name, master: 'tkup0', mode, netns: dest });
        try {
          const j = await one(dest === pod.path ? pod.name : dest, name);
          assert.equal(j.linkinfo.info_kind, 'macvlan');
          assert.equal(j.linkinfo.info_data.mode, mode);
          assert.equal(await k.findLink(host.path, name), undefined, 'nothing left in the host namespace');
          const l = await k.getLink(dest, name);
          assert.equal(l.kind, 'macvlan');
          assert.equal(l.macvlanMode, mode);
          assert.equal(l.parentIndex, (await k.getLink(host.path, 'tkup0')).index);
        } finally {
          await k.deleteLink(dest, name);
        }
        assert.equal(await k.findLink(dest, name), undefined);
      });
    }
  }

  it('sets MAC and MTU at creation, then renames, re-MACs, re-MTUs and brings up in one change', async () => {
    await k.createLink(host.path, {
      kind: 'macvlan',
      name: 'tktmp0',
      master: 'tkup0',
      mode: 'bridge',
      mac: '02:00:00:00:20:01',
      mtu: 1400,
      netns: pid.path,
    });
    let j = await one(pid.path, 'tktmp0');
    assert.equal(j.address, '02:00:00:00:20:01');
    assert.equal(j.mtu, 1400);
    await k.setLink(pid.path, 'tktmp0', {
      name: 'tketh0',
      mac: '02:00:00:00:20:02',
      mtu: 1300,
      up: true,
      txQueueLen: 500,
    });
    assert.equal(await k.findLink(pid.path, 'tktmp0'), undefined);
    j = await one(pid.path, 'tketh0');
    assert.equal(j.address, '02:00:00:00:20:02');
    assert.equal(j.mtu, 1300);
    assert.equal(j.txqlen, 500);
    assert.ok(j.flags.includes('UP'));
    const l = await k.getLink(pid.path, 'tketh0');
    assert.deepEqual(
      [l.name, l.mac, l.mtu, l.up, l.txQueueLen],
      ['tketh0', '02:00:00:00:20:02', 1300, true, 500],
    );
    await k.setLink(pid.path, 'tketh0', { up: false });
    assert.ok(!(await one(pid.path, 'tketh0')).flags.includes('UP'));
    assert.equal((await k.getLink(pid.path, 'tketh0')).up, false);
    await k.deleteLink(pid.path, 'tketh0');
  });

  it('enslaves to a bridge and releases (master / nomaster)', async () => {
    await k.createLink(host.path, { kind: 'bridge', name: 'tkbr0', mtu: 1450 });
    await k.createLink(host.path, { kind: 'veth', name: 'tkp0', peer: 'tkp1' });
    await k.setLink(host.path, 'tkp0', { master: 'tkbr0', up: true });
    assert.equal((await one(host.name, 'tkp0')).master, 'tkbr0');
    const l = await k.getLink(host.path, 'tkp0');
    assert.equal(l.master, 'tkbr0');
    assert.equal(l.parent, 'tkp1'); // the peer, same namespace
    assert.equal((await k.getLink(host.path, 'tkbr0')).kind, 'bridge');
    await k.setLink(host.path, 'tkp0', { master: null });
    assert.equal((await one(host.name, 'tkp0')).master, undefined);
    await assert.rejects(k.setLink(host.path, 'tkp0', { master: 'tknobr' }), (e: unknown) => {
      assert.ok(e instanceof LinkNotFound);
      assert.equal(e.link, 'tknobr');
      return true;
    });
  });

  it('moves a link to another namespace by path, renaming it on the way', async () => {
    await k.createLink(host.path, { kind: 'veth', name: 'tkmv0', peer: 'tkmv1' });
    await k.setLink(host.path, 'tkmv0', { netns: pid.path, name: 'tkmoved', up: true });
    assert.equal(await k.findLink(host.path, 'tkmv0'), undefined);
    assert.equal((await one(pid.path, 'tkmoved')).ifname, 'tkmoved');
  });

  it('lists typed links', async () => {
    const links = await k.listLinks(host.path);
    const by = new Map(links.map((l) => [l.name, l]));
    assert.equal(by.get('lo')?.kind, 'loopback');
    assert.equal(by.get('lo')?.up, true);
    assert.equal(by.get('tkbr0')?.kind, 'bridge');
    assert.equal(by.get('tkup0')?.kind, 'veth');
    for (const l of links) {
      assert.ok(l.index > 0);
      assert.match(l.mac, /^([0-9a-f]{2}:){5}[0-9a-f]{2}$/);
      assert.ok(l.operState.length > 0);
    }
  });

  it('typed errors: LinkNotFound and Exists', async () => {
    await assert.rejects(
      k.getLink(host.path, 'tknope'),
      (e: unknown) => e instanceof LinkNotFound && e.link === 'tknope',
    );
    assert.equal(await k.findLink(host.path, 'tknope'), undefined);
    await assert.rejects(k.deleteLink(host.path, 'tknope'), LinkNotFound);
    await assert.rejects(k.setLink(host.path, 'tknope', { up: true }), LinkNotFound);
    await assert.rejects(
      k.createLink(host.path, {
        kind: 'macvlan',
        name: 'tkm0',
        master: 'tknomaster',
        mode: 'bridge',
        netns: pod.path,
      }),
      (e: unknown) => e instanceof LinkNotFound && e.link === 'tknomaster',
    );
    await assert.rejects(k.createLink(host.path, { kind: 'bridge', name: 'tkbr0' }), Exists);
    // The name is taken in the destination namespace, not where the master lives.
    await assert.rejects(
      k.createLink(host.path, {
        kind: 'macvlan',
        name: 'tksw0',
        master: 'tkup0',
        mode: 'bridge',
        netns: pod.path,
      }),
      Exists,
    );
  });
});
