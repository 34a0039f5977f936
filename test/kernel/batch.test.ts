// Kernel.batch: every op applied in order with few processes; errors typed and attributed to the
// failing op; lines ip's batch reader would mangle run alone. Also measures spawn costs.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type BatchOp, Iproute2Kernel, LinkNotFound } from '../../src/kernel/index.js';
import { plan } from '../../src/kernel/iproute2/batch.js';
import { ipj, makeNetns, makePidNetns, type PidNetns, type TestNetns } from '../helpers/netns.js';

const k = new Iproute2Kernel();

/** What the macvlan plugin does after moving its link: sysctls, addresses, up, routes, plus rules/neighbours. */
const configure = (dev: string): BatchOp[] => [
  { op: 'sysctl', key: `net/ipv6/conf/${dev}/disable_ipv6`, value: '0' },
  { op: 'sysctl', key: `net/ipv4/conf/${dev}/arp_notify`, value: '1' },
  { op: 'addAddr', ifname: dev, cidr: '10.1.0.5/24' },
  { op: 'addAddr', ifname: dev, cidr: 'fd00::5/64', noDad: true },
  { op: 'setLink', name: dev, change: { up: true, mtu: 1400 } },
  { op: 'addRoute', route: { family: 4, dst: '0.0.0.0/0', gw: '10.1.0.1', dev } },
  { op: 'addRoute', route: { family: 6, dst: '::/0', gw: 'fd00::1', dev } },
  { op: 'addRule', rule: { family: 4, priority: 100, from: '10.1.0.5/32', table: 100 } },
  { op: 'replaceRoute', route: { family: 4, dst: '0.0.0.0/0', gw: '10.1.0.1', dev, table: 100 } },
  { op: 'setNeighbour', n: { family: 4, ip: '10.1.0.1', mac: '02:00:00:00:00:01', dev } },
  { op: 'addRule', rule: { family: 6, priority: 100, fwmark: '0x1', table: 100 } },
];

async function assertConfigured(ns: string, dev: string) {
  const link = ipj(ns, ['addr', 'show', 'dev', dev])[0];
  assert.ok(link.flags.includes('UP'));
  assert.equal(link.mtu, 1400);
  assert.deepEqual(
    link.addr_info
      .filter((x: { scope: string }) => x.scope === 'global')
      .map((x: { local: string }) => x.local)
      .sort(),
    ['10.1.0.5', 'fd00::5'],
  );
  assert.equal(ipj(ns, ['route', 'show', 'default'])[0].gateway, '10.1.0.1');
  assert.equal(ipj(ns, ['-6', 'route', 'show', 'default'])[0].gateway, 'fd00::1');
  assert.equal(ipj(ns, ['route', 'show', 'table', '100'])[0].gateway, '10.1.0.1');
  assert.ok(
    ipj(ns, ['rule', 'show']).some(
      (r: { priority: number; src: string }) => r.priority === 100 && r.src === '10.1.0.5',
    ),
  );
  assert.ok(
    ipj(ns, ['-6', 'rule', 'show']).some(
      (r: { priority: number; fwmark: string }) => r.priority === 100 && r.fwmark === '0x1',
    ),
  );
  assert.equal(ipj(ns, ['neigh', 'show', 'dev', dev])[0].lladdr, '02:00:00:00:00:01');
  assert.equal(
    await k.sysctlGet(ns.startsWith('/') ? ns : `/run/netns/${ns}`, `net/ipv4/conf/${dev}/arp_notify`),
    '1',
  );
}

describe('kernel: batch', () => {
  let ns: TestNetns;
  let pid: PidNetns;
  before(async () => {
    ns = await makeNetns('tk');
    pid = await makePidNetns();
    await k.createLink(ns.path, { kind: 'veth', name: 'tkb0', peer: 'tkb1', peerNetns: pid.path });
    await k.createLink(pid.path, { kind: 'veth', name: 'tkc0', peer: 'tkc1' });
  });
  after(async () => {
    await ns?.cleanup();
    await pid?.cleanup();
  });

  it('plans one sysctl process and few ip processes (v6 rules need their own -6 batch)', () => {
    const segs = plan(configure('x'));
    assert.deepEqual(
      segs.map((s) =>
        s.kind === 'sysctl'
          ? `sysctl×${s.pairs.length}`
          : `ip${s.mode === 'need' ? ' -6' : ''}×${s.lines.length}`,
      ),
      ['sysctl×2', 'ip×8', 'ip -6×1'],
    );
  });

  it('applies every op in a named namespace (ip -n … -batch -)', async () => {
    await k.batch(ns.path, configure('tkb0'));
    await assertConfigured(ns.name, 'tkb0');
  });

  it('applies every op in a /proc/PID namespace (nsenter … ip -batch -)', async () => {
    await k.batch(pid.path, configure('tkc0'));
    await assertConfigured(pid.path, 'tkc0');
  });

  it('stops at the failing op with its typed error; earlier ops stay, later ones do not run', async () => {
    const err = await k
      .batch(ns.path, [
        { op: 'addAddr', ifname: 'tkb0', cidr: '10.2.0.5/24' },
        { op: 'addRoute', route: { family: 4, dst: '10.3.0.0/16', dev: 'tknope' } },
        { op: 'addAddr', ifname: 'tkb0', cidr: '10.2.0.6/24' },
      ])
      .then(
        () => assert.fail('batch succeeded'),
        (e: unknown) => e,
      );
    assert.ok(err instanceof LinkNotFound, String(err));
    assert.equal(err.link, 'tknope');
    assert.ok(err.argv.includes('10.3.0.0/16'), 'argv names the failing line');
    const addrs = (await k.listAddrs(ns.path, 'tkb0')).map((a) => a.cidr);
    assert.ok(addrs.includes('10.2.0.5/24') && !addrs.includes('10.2.0.6/24'));
  });

  it("runs lines ip's batch reader would misparse as their own process", async () => {
    await k.createLink(ns.path, { kind: 'bridge', name: 'tk#br' });
    const ops: BatchOp[] = [
      { op: 'addAddr', ifname: 'tkb0', cidr: '10.4.0.5/24' },
      { op: 'addAddr', ifname: 'tk#br', cidr: '10.5.0.5/24' },
      { op: 'setLink', name: 'tk#br', change: { up: true } },
      { op: 'addAddr', ifname: 'tkb0', cidr: '10.4.0.6/24' },
    ];
    assert.deepEqual(
      plan(ops).map((s) => (s.kind === 'ip' ? s.lines.length : 0)),
      [1, 1, 1, 1],
    );
    await k.batch(ns.path, ops);
    const br = ipj(ns.name, ['addr', 'show', 'dev', 'tk#br'])[0];
    assert.ok(br.flags.includes('UP'));
    assert.equal(br.addr_info[0].local, '10.5.0.5');
    assert.deepEqual(
      (await k.listAddrs(ns.path, 'tkb0')).filter((a) => a.cidr.startsWith('10.4.')).length,
      2,
    );
  });

  it('measures: ms per ip spawn, 10 ops in one batch vs 10 spawns', async (t) => {
    const time = async (f: () => Promise<unknown>) => {
      const t0 = performance.now();
      await f();
      return performance.now() - t0;
    };
    const n = 20;
    const named =
      (await time(async () => {
        for (let i = 0; i < n; i++) await k.getLink(ns.path, 'tkb0');
      })) / n;
    const viaPid =
      (await time(async () => {
        for (let i = 0; i < n; i++) await k.getLink(pid.path, 'tkc0');
      })) / n;
    const addrs = (base: number) => Array.from({ length: 10 }, (_, i) => `10.${base}.0.${i + 1}/24`);
    const seq = await time(async () => {
      for (const c of addrs(60)) await k.addAddr(ns.path, 'tkb0', c);
    });
    const one = await time(() =>
      k.batch(
        ns.path,
        addrs(61).map((cidr) => ({ op: 'addAddr' as const, ifname: 'tkb0', cidr })),
      ),
    );
    const seqPid = await time(async () => {
      for (const c of addrs(62)) await k.addAddr(pid.path, 'tkc0', c);
    });
    const onePid = await time(() =>
      k.batch(
        pid.path,
        addrs(63).map((cidr) => ({ op: 'addAddr' as const, ifname: 'tkc0', cidr })),
      ),
    );
    const sysctl = await time(() => k.sysctlSet(ns.path, 'net/ipv4/conf/tkb0/arp_notify', '1'));
    const f = (x: number) => x.toFixed(1);
    t.diagnostic(`ip spawn (getLink): ${f(named)} ms via ip -n, ${f(viaPid)} ms via nsenter`);
    t.diagnostic(`10 addAddr: ${f(seq)} ms as 10 spawns vs ${f(one)} ms as one batch (ip -n)`);
    t.diagnostic(`10 addAddr: ${f(seqPid)} ms as 10 spawns vs ${f(onePid)} ms as one batch (nsenter)`);
    t.diagnostic(`one sysctl write via nsenter: ${f(sysctl)} ms`);
    assert.equal((await k.listAddrs(ns.path, 'tkb0')).filter((a) => /^10\.6[01]\./.test(a.cidr)).length, 20);
    assert.ok(one < seq, 'one batch beats ten processes');
  });
});
