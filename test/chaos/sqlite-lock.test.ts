// Store faults, SQLite (issue 16): another process (the sqlite3 shell) holds the database's write lock
// for longer than the store's busy timeout while a burst of ADDs arrives. Each ADD must end at the
// busy timeout with a clean CNI error (code 11, "stayed locked"), hold nothing, and succeed once the
// runtime retries after the lock is gone. Invariants (burst.ts): no duplicates, every success held,
// every failure a CNI error, nothing hung, nothing left after DEL. Sizes: TRUNKLINE_CHAOS_PODS
// (default 8).
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import type { SpiderIPPool } from '../../src/cluster/types.js';
import { CniError, Code } from '../../src/cni/errors.js';
import { allocate } from '../../src/ipam/allocate.js';
import { SqliteStore } from '../../src/store/sqlite.js';
import { envInt } from '../helpers/chaos.js';
import { tierSkip } from '../helpers/tier.js';
import { burst, settle, summary } from './burst.js';
import { lockFor, SQLITE3 } from './sqlite-locker.js';

const PODS = envInt('TRUNKLINE_CHAOS_PODS', 8);
const BUSY_MS = 300;
const LOCK_MS = 2_000;
const POOL: SpiderIPPool = {
  metadata: { name: 'chaos-sqlite' },
  spec: { ipVersion: 4, subnet: '10.73.0.0/24', ips: ['10.73.0.10-10.73.0.200'] },
};

describe('store faults: the SQLite database locked by another process past the busy timeout', {
  timeout: 120_000,
  skip: tierSkip('sqlite3', existsSync(SQLITE3) ? undefined : 'sqlite3 (Debian sqlite3) is not installed'),
}, () => {
  const dir = mkdtempSync(join(tmpdir(), 'chaos-sqlite-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it(`${PODS} concurrent ADDs: code 11 while locked, nothing held, success after`, async (t) => {
    const path = join(dir, 'ipam.db');
    const store = new SqliteStore({ path, busyTimeoutMs: BUSY_MS });
    try {
      await store.check(); // creates the schema the locker writes into
      const lock = await lockFor(path, LOCK_MS);
      // One ADD alone first: the error it gives, and how long it waited.
      const t0 = Date.now();
      await assert.rejects(
        allocate({
          store,
          pools: [POOL],
          reserved: [],
          podNamespace: 'chaos',
          podName: 'first',
          containerId: 'first',
          ifname: 'eth0',
          defaults: { ipv4: [POOL.metadata.name] },
        }),
        (e: unknown) => {
          assert.ok(e instanceof CniError, String(e));
          assert.equal(e.code, Code.TryAgainLater);
          assert.match(
            e.message,
            new RegExp(`IPAM store sqlite:.*ipam\\.db stayed locked for ${BUSY_MS} ms during allocate`),
          );
          return true;
        },
      );
      const waited = Date.now() - t0;
      assert.ok(waited >= BUSY_MS && waited < BUSY_MS + 3_000, `gave up after ${waited} ms`);
      assert.deepEqual(await store.list(), [], 'the refused ADD holds nothing');
      const opts = {
        store,
        pool: POOL,
        containers: PODS,
        attempts: 20,
        deadlineMs: BUSY_MS + 10_000,
        backoffMs: 100,
        what: 'sqlite lock',
      };
      const out = await burst(opts);
      await lock.released;
      t.diagnostic(`sqlite lock held ${LOCK_MS} ms, busy timeout ${BUSY_MS} ms: ${summary(out)}`);
      assert.ok((out.failures.get(Code.TryAgainLater) ?? 0) >= PODS, 'every first ADD met the lock');
      assert.deepEqual([...out.failures.keys()], [Code.TryAgainLater], 'the lock is only ever code 11');
      assert.equal(out.ok.size, PODS, 'every ADD succeeded once the lock was gone');
      await settle(opts, out);
    } finally {
      await store.close();
    }
  });
});
