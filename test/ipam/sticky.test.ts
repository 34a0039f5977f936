// Taking a previous address back on a store that cannot rewrite a holder in place (SQLite): the
// previous holder is released and the address taken; an address held by an unrelated pod is left
// alone and the NIC gets a fresh one; an address outside the pools the NIC may use now is not asked for.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { allocateSticky, type Sticky } from '../../src/ipam/sticky.js';
import { SqliteStore } from '../../src/store/sqlite.js';
import type { Holder } from '../../src/store/types.js';
import { pool, range } from '../store/contract.js';

const P = pool('st-v4', 4, range('10.90.0.10', '10.90.0.20'));
const holder = (containerId: string, podName: string, podUid: string): Holder => ({
  containerId,
  ifname: 'eth0',
  podNamespace: 'ns',
  podName,
  podUid,
});
const sticky = (ip: string, fromUid: string, poolName = 'st-v4'): Sticky => ({
  addresses: [{ family: 4, ip, pool: poolName }],
  adopt: (a) => a.podUid === fromUid,
});

let dir: string;
let store: SqliteStore;
before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'fixedip-sticky-'));
  store = new SqliteStore({ path: join(dir, 'ipam.db') });
  await store.open();
});
after(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('sticky allocation on a store without in-place takeover', () => {
  it('moves the address from the previous holder to the new one', async () => {
    const a = await store.allocate(holder('c1', 'web-0', 'u1'), [{ family: 4, candidates: [P] }]);
    assert.ok(a.ok);
    const ip = a.allocations[0]!.ip;
    await store.allocate(holder('c2', 'other', 'u9'), [{ family: 4, candidates: [P] }]);
    const r = await allocateSticky(
      store,
      holder('c3', 'web-0', 'u2'),
      [{ family: 4, candidates: [P] }],
      sticky(ip, 'u1'),
    );
    assert.ok(r.ok);
    assert.equal(r.allocations[0]!.ip, ip);
    assert.deepEqual(
      (await store.list()).map((x) => `${x.ip} ${x.containerId}`),
      [`${ip} c3`, '10.90.0.11 c2'],
      'the previous holder no longer holds it; nothing else changed',
    );
  });

  it("leaves an unrelated pod's address alone and allocates afresh", async () => {
    const r = await allocateSticky(
      store,
      holder('c4', 'web-1', 'u4'),
      [{ family: 4, candidates: [P] }],
      sticky('10.90.0.11', 'u-gone'),
    );
    assert.ok(r.ok);
    assert.notEqual(r.allocations[0]!.ip, '10.90.0.11');
    assert.ok((await store.get({ containerId: 'c2', ifname: 'eth0' })).length === 1, 'c2 keeps its address');
  });

  it('asks for a free previous address only when its pool is still a candidate', async () => {
    const P4 = [{ family: 4 as const, candidates: [P] }];
    const moved = await allocateSticky(
      store,
      holder('c5', 'web-2', 'u5'),
      P4,
      sticky('10.90.0.19', 'u5', 'old-pool'),
    );
    assert.ok(moved.ok);
    assert.notEqual(moved.allocations[0]!.ip, '10.90.0.19', 'old pool: next-fit instead');
    const kept = await allocateSticky(store, holder('c6', 'web-3', 'u6'), P4, sticky('10.90.0.19', 'u6'));
    assert.ok(kept.ok);
    assert.equal(kept.allocations[0]!.ip, '10.90.0.19', 'same pool: the free address is taken again');
  });
});
