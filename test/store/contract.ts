// The behaviour every AllocationStore backend must show. A backend's test file calls
// runStoreContract(name, makeStore) once; etcd and Kubernetes backends will reuse it unchanged.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type Family, type Interval, parseIp } from '../../src/store/ip.js';
import type {
  AllocateResult,
  Allocation,
  AllocationStore,
  Holder,
  PoolCandidate,
} from '../../src/store/types.js';

export interface StoreFixture {
  store: AllocationStore;
  /** A second, independent instance on the same backing storage (another process, a restart). */
  reopen(): AllocationStore;
  cleanup(): Promise<void>;
}

function addr(s: string): bigint {
  const a = parseIp(s);
  if (a === undefined) throw new Error(`bad test address ${s}`);
  return a.value;
}

export function range(a: string, b = a): Interval {
  return { start: addr(a), end: addr(b) };
}

export function pool(name: string, family: Family, ...intervals: Interval[]): PoolCandidate {
  return { pool: name, family, intervals };
}

export function holder(containerId: string, ifname = 'eth0', extra: Partial<Holder> = {}): Holder {
  return { containerId, ifname, ...extra };
}

function ok(r: AllocateResult): Allocation[] {
  if (!r.ok) assert.fail(`expected an allocation, got ${JSON.stringify(r)}`);
  return r.allocations;
}

const V4 = pool('v4', 4, range('10.0.0.1', '10.0.0.254'));

export function runStoreContract(name: string, makeStore: () => Promise<StoreFixture>): void {
  const withStore = (fn: (f: StoreFixture) => Promise<void>) => async () => {
    const f = await makeStore();
    try {
      await f.store.open();
      await fn(f);
    } finally {
      await f.store.close();
      await f.cleanup();
    }
  };

  describe(`AllocationStore contract: ${name}`, () => {
    it(
      'hands out the first address of a fresh pool and records the holder',
      withStore(async ({ store }) => {
        const h = holder('c1', 'net1', { podNamespace: 'ns1', podName: 'web-0', podUid: 'uid-1' });
        const [a] = ok(await store.allocate(h, [{ family: 4, candidates: [V4] }]));
        assert.equal(a?.ip, '10.0.0.1');
        assert.equal(a?.pool, 'v4');
        assert.equal(a?.family, 4);
        assert.deepEqual(
          [a?.containerId, a?.ifname, a?.podNamespace, a?.podName, a?.podUid],
          ['c1', 'net1', 'ns1', 'web-0', 'uid-1'],
        );
        assert.ok(!Number.isNaN(Date.parse(a?.createdAt ?? '')), 'createdAt is a timestamp');
        assert.deepEqual(await store.get({ containerId: 'c1', ifname: 'net1' }), [a]);
        assert.deepEqual(await store.list('v4'), [a]);
      }),
    );

    it(
      'is idempotent per (containerId, ifname, family)',
      withStore(async ({ store }) => {
        const first = ok(await store.allocate(holder('c1'), [{ family: 4, candidates: [V4] }]));
        const again = await store.allocate(holder('c1'), [{ family: 4, candidates: [V4] }]);
        assert.ok(again.ok && again.existing);
        assert.deepEqual(ok(again), first);
        assert.equal((await store.list()).length, 1);
        // Another interface of the same container is another holder.
        const other = ok(await store.allocate(holder('c1', 'net2'), [{ family: 4, candidates: [V4] }]));
        assert.notEqual(other[0]?.ip, first[0]?.ip);
      }),
    );

    it(
      'gives distinct holders distinct ascending addresses',
      withStore(async ({ store }) => {
        const ips: string[] = [];
        for (let i = 0; i < 5; i++)
          ips.push(ok(await store.allocate(holder(`c${i}`), [{ family: 4, candidates: [V4] }]))[0]!.ip);
        assert.deepEqual(ips, ['10.0.0.1', '10.0.0.2', '10.0.0.3', '10.0.0.4', '10.0.0.5']);
      }),
    );

    it(
      'releases exactly the holder, idempotently',
      withStore(async ({ store }) => {
        ok(await store.allocate(holder('a'), [{ family: 4, candidates: [V4] }]));
        ok(await store.allocate(holder('a', 'net1'), [{ family: 4, candidates: [V4] }]));
        ok(await store.allocate(holder('b'), [{ family: 4, candidates: [V4] }]));
        const released = await store.release({ containerId: 'a', ifname: 'eth0' });
        assert.deepEqual(
          released.map((r) => r.ip),
          ['10.0.0.1'],
        );
        assert.deepEqual(await store.release({ containerId: 'a', ifname: 'eth0' }), []);
        assert.deepEqual(await store.release({ containerId: 'nobody', ifname: 'eth0' }), []);
        assert.deepEqual(
          (await store.list()).map((r) => `${r.containerId}/${r.ifname}=${r.ip}`),
          ['a/net1=10.0.0.2', 'b/eth0=10.0.0.3'],
        );
      }),
    );

    it(
      'does not reuse a just-released address while others are free (next-fit)',
      withStore(async ({ store }) => {
        ok(await store.allocate(holder('a'), [{ family: 4, candidates: [V4] }]));
        await store.release({ containerId: 'a', ifname: 'eth0' });
        const [b] = ok(await store.allocate(holder('b'), [{ family: 4, candidates: [V4] }]));
        assert.equal(b?.ip, '10.0.0.2');
      }),
    );

    it(
      'reports exhaustion, then wraps around to released addresses',
      withStore(async ({ store }) => {
        const small = pool('small', 4, range('10.0.1.10', '10.0.1.11'), range('10.0.1.20'));
        for (const c of ['a', 'b', 'c'])
          ok(await store.allocate(holder(c), [{ family: 4, candidates: [small] }]));
        const r = await store.allocate(holder('d'), [{ family: 4, candidates: [small] }]);
        assert.deepEqual(r, { ok: false, reason: 'exhausted', family: 4, pools: ['small'] });
        await store.release({ containerId: 'b', ifname: 'eth0' });
        const [d] = ok(await store.allocate(holder('d'), [{ family: 4, candidates: [small] }]));
        assert.equal(d?.ip, '10.0.1.11');
      }),
    );

    it(
      'tries candidate pools in order',
      withStore(async ({ store }) => {
        const p1 = pool('p1', 4, range('10.1.0.1'));
        const p2 = pool('p2', 4, range('10.2.0.1', '10.2.0.9'));
        const got = [];
        for (const c of ['a', 'b', 'c'])
          got.push(ok(await store.allocate(holder(c), [{ family: 4, candidates: [p1, p2] }]))[0]);
        assert.deepEqual(
          got.map((g) => `${g?.pool}:${g?.ip}`),
          ['p1:10.1.0.1', 'p2:10.2.0.1', 'p2:10.2.0.2'],
        );
      }),
    );

    it(
      'allocates dual stack all-or-nothing',
      withStore(async ({ store }) => {
        const v6 = pool('v6', 6, range('fd00::10', 'fd00::11'));
        const both = [
          { family: 4 as const, candidates: [V4] },
          { family: 6 as const, candidates: [v6] },
        ];
        const a = ok(await store.allocate(holder('a'), both));
        assert.deepEqual(
          a.map((x) => x.ip),
          ['10.0.0.1', 'fd00::10'],
        );
        ok(await store.allocate(holder('b'), both));
        const c = await store.allocate(holder('c'), both);
        assert.deepEqual(c, { ok: false, reason: 'exhausted', family: 6, pools: ['v6'] });
        assert.deepEqual(
          await store.get({ containerId: 'c', ifname: 'eth0' }),
          [],
          'no partial IPv4 left behind',
        );
        assert.equal((await store.list('v4')).length, 2);
      }),
    );

    it(
      'honours a requested address, refuses a taken or outside one',
      withStore(async ({ store }) => {
        const [a] = ok(
          await store.allocate(holder('a'), [{ family: 4, candidates: [V4], requestedIp: '10.0.0.77' }]),
        );
        assert.equal(a?.ip, '10.0.0.77');
        const again = await store.allocate(holder('a'), [
          { family: 4, candidates: [V4], requestedIp: '10.0.0.77' },
        ]);
        assert.ok(again.ok && again.existing);
        const taken = await store.allocate(holder('b'), [
          { family: 4, candidates: [V4], requestedIp: '10.0.0.77' },
        ]);
        assert.ok(!taken.ok && taken.reason === 'taken');
        assert.equal(taken.ip, '10.0.0.77');
        assert.equal(taken.holder.containerId, 'a');
        const outside = await store.allocate(holder('b'), [
          { family: 4, candidates: [V4], requestedIp: '10.9.9.9' },
        ]);
        assert.deepEqual(outside, { ok: false, reason: 'outside', family: 4, ip: '10.9.9.9', pools: ['v4'] });
        // Automatic allocation never hands out the requested one.
        const ips = [];
        for (let i = 0; i < 80; i++)
          ips.push(ok(await store.allocate(holder(`n${i}`), [{ family: 4, candidates: [V4] }]))[0]?.ip);
        assert.ok(!ips.includes('10.0.0.77'));
        assert.equal(new Set(ips).size, 80);
      }),
    );

    it(
      'GC releases everything not listed and reports it',
      withStore(async ({ store }) => {
        for (const c of ['a', 'b', 'c', 'd'])
          ok(await store.allocate(holder(c), [{ family: 4, candidates: [V4] }]));
        ok(await store.allocate(holder('a', 'net1'), [{ family: 4, candidates: [V4] }]));
        const released = await store.releaseAllExcept([
          { containerId: 'a', ifname: 'eth0' },
          { containerId: 'c', ifname: 'eth0' },
          { containerId: 'zz', ifname: 'eth0' },
        ]);
        assert.deepEqual(released.map((r) => `${r.containerId}/${r.ifname}`).sort(), [
          'a/net1',
          'b/eth0',
          'd/eth0',
        ]);
        assert.deepEqual(
          (await store.list()).map((r) => r.containerId),
          ['a', 'c'],
        );
        assert.deepEqual(
          await store.releaseAllExcept([
            { containerId: 'a', ifname: 'eth0' },
            { containerId: 'c', ifname: 'eth0' },
          ]),
          [],
        );
      }),
    );

    it(
      'follows pool definition changes without losing allocations',
      withStore(async ({ store }) => {
        const before = pool('p', 4, range('10.3.0.1', '10.3.0.10'));
        for (const c of ['a', 'b'])
          ok(await store.allocate(holder(c), [{ family: 4, candidates: [before] }]));
        // Shrunk (e.g. new excludeIPs / reserved): only the remaining addresses are used.
        const shrunk = pool('p', 4, range('10.3.0.5', '10.3.0.6'));
        const got = [];
        for (const c of ['c', 'd'])
          got.push(ok(await store.allocate(holder(c), [{ family: 4, candidates: [shrunk] }]))[0]?.ip);
        assert.deepEqual(got, ['10.3.0.5', '10.3.0.6']);
        assert.equal((await store.allocate(holder('e'), [{ family: 4, candidates: [shrunk] }])).ok, false);
        // Grown back: addresses still held are not offered again.
        const grown = pool('p', 4, range('10.3.0.1', '10.3.0.8'));
        const more = [];
        for (const c of ['e', 'f', 'g', 'h'])
          more.push(ok(await store.allocate(holder(c), [{ family: 4, candidates: [grown] }]))[0]?.ip);
        assert.deepEqual(more.sort(), ['10.3.0.3', '10.3.0.4', '10.3.0.7', '10.3.0.8']);
        assert.equal((await store.list('p')).length, 8);
      }),
    );

    it(
      'never hands out an address held through another (overlapping) pool',
      withStore(async ({ store }) => {
        const a = pool('a', 4, range('10.4.0.1', '10.4.0.3'));
        const b = pool('b', 4, range('10.4.0.2', '10.4.0.4'));
        ok(await store.allocate(holder('x'), [{ family: 4, candidates: [b] }])); // 10.4.0.2 via b
        const got = [];
        for (const c of ['y', 'z'])
          got.push(ok(await store.allocate(holder(c), [{ family: 4, candidates: [a] }]))[0]?.ip);
        assert.deepEqual(got, ['10.4.0.1', '10.4.0.3']);
        assert.equal((await store.allocate(holder('w'), [{ family: 4, candidates: [a] }])).ok, false);
      }),
    );

    it(
      'handles IPv6 pools of any size',
      withStore(async ({ store }) => {
        const big = pool('v6big', 6, range('2001:db8::1', '2001:db8::ffff:ffff:ffff:fffe'));
        const got = [];
        for (const c of ['a', 'b', 'c'])
          got.push(ok(await store.allocate(holder(c), [{ family: 6, candidates: [big] }]))[0]?.ip);
        assert.deepEqual(got, ['2001:db8::1', '2001:db8::2', '2001:db8::3']);
        const [r] = ok(
          await store.allocate(holder('d'), [
            { family: 6, candidates: [big], requestedIp: '2001:db8::ffff:ffff:ffff:fffe' },
          ]),
        );
        assert.equal(r?.ip, '2001:db8::ffff:ffff:ffff:fffe');
      }),
    );

    it(
      'persists across instances',
      withStore(async ({ store, reopen }) => {
        const [a] = ok(await store.allocate(holder('a'), [{ family: 4, candidates: [V4] }]));
        const other = reopen();
        try {
          await other.open();
          assert.deepEqual(await other.list(), [a]);
          const [b] = ok(await other.allocate(holder('b'), [{ family: 4, candidates: [V4] }]));
          assert.equal(b?.ip, '10.0.0.2');
          await other.check();
        } finally {
          await other.close();
        }
        assert.equal((await store.list()).length, 2);
      }),
    );
  });
}
