// The SQLite backend: the shared contract, plus what only this backend can show (files, WAL,
// unusable paths, cost independent of pool size).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { CniError, Code } from '../../src/cni/errors.js';
import { createStore, parseStoreConf } from '../../src/store/index.js';
import { SqliteStore } from '../../src/store/sqlite.js';
import { holder, pool, range, runStoreContract } from './contract.js';

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'trunkline-store-'));
}

runStoreContract('sqlite', async () => {
  const dir = tempDir();
  const path = join(dir, 'ipam.db');
  return {
    store: new SqliteStore({ path }),
    reopen: () => new SqliteStore({ path }),
    cleanup: async () => rmSync(dir, { recursive: true, force: true }),
  };
});

describe('SqliteStore specifics', () => {
  it('creates its directory and uses WAL', async () => {
    const dir = tempDir();
    try {
      const path = join(dir, 'nested', 'deeper', 'ipam.db');
      const s = new SqliteStore({ path });
      await s.check();
      await s.close();
      const { default: Database } = await import('better-sqlite3');
      const db = new Database(path, { readonly: true });
      assert.equal(db.pragma('journal_mode', { simple: true }), 'wal');
      db.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('reports an unusable path as StoreUnavailableError (code 103)', async () => {
    const dir = tempDir();
    try {
      const blocker = join(dir, 'not-a-dir');
      writeFileSync(blocker, 'x');
      const s = new SqliteStore({ path: join(blocker, 'ipam.db') });
      await assert.rejects(s.check(), (e: unknown) => {
        assert.ok(e instanceof CniError);
        assert.equal(e.code, Code.StoreUnavailable);
        assert.match(e.message, /not-a-dir\/ipam\.db/);
        return true;
      });
      const garbage = join(dir, 'garbage.db');
      writeFileSync(garbage, 'this is not a database file, just some bytes '.repeat(200));
      await assert.rejects(new SqliteStore({ path: garbage }).open(), (e: unknown) => {
        assert.ok(e instanceof CniError && e.code === Code.StoreUnavailable, String(e));
        return true;
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('parses and applies store config', () => {
    assert.deepEqual(parseStoreConf(undefined), { type: 'sqlite' });
    assert.deepEqual(parseStoreConf({ type: 'sqlite', path: '/x/y.db', synchronous: 'full' }), {
      type: 'sqlite',
      path: '/x/y.db',
      synchronous: 'full',
    });
    assert.throws(
      () => parseStoreConf({ type: 'mysql' }),
      /store\.type: expected "sqlite", "etcd" or "kubernetes"/,
    );
    assert.throws(() => parseStoreConf({ type: 'etcd' }), /endpoints/);
    assert.equal(parseStoreConf({ type: 'etcd', endpoints: ['http://127.0.0.1:2379'] }).type, 'etcd');
    assert.throws(() => createStore({ type: 'kubernetes' }), /needs the Kubernetes source/);
    assert.throws(() => parseStoreConf({ path: 3 }), /store\.path/);
    assert.equal(createStore({ path: '/tmp/a.db' }).description, 'sqlite:/tmp/a.db');
  });

  it('allocation cost does not grow with pool size (/24 vs /16 vs /8 vs IPv6 /64)', async () => {
    const dir = tempDir();
    const pools = [
      pool('p24', 4, range('10.24.0.1', '10.24.0.254')),
      pool('p16', 4, range('10.16.0.1', '10.16.255.254')),
      pool('p8', 4, range('10.0.0.1', '10.255.255.254')),
      pool('p64', 6, range('fd64::1', 'fd64::ffff:ffff:ffff:ffff')),
    ];
    const n = 150;
    const perPool: Record<string, { us: number; statements: number }> = {};
    const plans = new Set<string>();
    const { default: Database } = await import('better-sqlite3');
    try {
      for (const p of pools) {
        const run: string[] = [];
        const path = join(dir, `${p.pool}.db`);
        const s = new SqliteStore({ path, onStatement: (sql) => run.push(sql) });
        await s.open();
        // Pre-fill so the measured allocations run against a pool that already holds addresses.
        for (let i = 0; i < 100; i++)
          await s.allocate(holder(`pre${i}`), [{ family: p.family, candidates: [p] }]);
        run.length = 0;
        const t0 = process.hrtime.bigint();
        for (let i = 0; i < n; i++) {
          const r = await s.allocate(holder(`c${i}`), [{ family: p.family, candidates: [p] }]);
          assert.ok(r.ok);
        }
        perPool[p.pool] = { us: Number(process.hrtime.bigint() - t0) / 1e3 / n, statements: run.length / n };
        await s.close();
        // Work per statement: every one the allocations ran is an index search, never a table scan.
        const db = new Database(path, { readonly: true });
        for (const sql of new Set(run)) {
          if (/^(BEGIN|COMMIT|ROLLBACK)/i.test(sql)) continue;
          const plan = db
            .prepare(`EXPLAIN QUERY PLAN ${sql}`)
            .all()
            .map((r) => (r as { detail: string }).detail);
          for (const step of plan) {
            assert.doesNotMatch(step, /^SCAN /, `${p.pool}: "${sql}" scans: ${plan.join('; ')}`);
            plans.add(step.replace(/\(.*\)/, '(…)'));
          }
        }
        db.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    const counts = Object.values(perPool).map((x) => x.statements);
    assert.ok(
      counts.every((c) => c === counts[0]),
      `the same number of statements per allocation for every pool size: ${JSON.stringify(perPool)}`,
    );
    assert.ok(counts[0]! <= 12, `a handful of indexed statements per allocation, found ${counts[0]}`);
    const line = Object.entries(perPool)
      .map(([k, v]) => `${k} ${v.statements} statements, ${v.us.toFixed(1)} µs/alloc`)
      .join('; ');
    console.log(`# sqlite allocation cost by pool size (${n} allocations after 100 held): ${line}`);
    console.log(`# sqlite query plans used: ${[...plans].join(' | ')}`);
  });
});
