// On-disk layout of the embedded store (schema version 1).
//
// allocations: one row per held address. The address key ("4:0a000105") is the primary key, so one
//   address can never be held twice, whatever pool definitions say. (container_id, ifname, family)
//   is unique: the idempotency key of ADD.
// pools: the intervals each pool had when last used, and its next-fit cursor.
// free: each pool's free space as disjoint [lo, hi] key spans. Allocation takes the span at or after
//   the cursor through the (pool, lo) primary-key index, so its cost depends on neither the pool
//   size nor the number of allocations. Rebuilt from intervals − allocations whenever a pool's
//   intervals change (manifest edits, new reserved IPs).
import type BetterSqlite3 from 'better-sqlite3';

const SCHEMA_VERSION = 1;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS allocations (
  ip            TEXT    NOT NULL PRIMARY KEY,
  family        INTEGER NOT NULL,
  pool          TEXT    NOT NULL,
  container_id  TEXT    NOT NULL,
  ifname        TEXT    NOT NULL,
  network       TEXT,
  pod_namespace TEXT,
  pod_name      TEXT,
  pod_uid       TEXT,
  created_at    TEXT    NOT NULL
) WITHOUT ROWID;
CREATE UNIQUE INDEX IF NOT EXISTS allocations_holder ON allocations (container_id, ifname, family);
CREATE INDEX IF NOT EXISTS allocations_pool ON allocations (pool, ip);
CREATE TABLE IF NOT EXISTS pools (
  name      TEXT NOT NULL PRIMARY KEY,
  intervals TEXT NOT NULL,
  cursor    TEXT
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS free (
  pool TEXT NOT NULL,
  lo   TEXT NOT NULL,
  hi   TEXT NOT NULL,
  PRIMARY KEY (pool, lo)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS meta (
  key   TEXT NOT NULL PRIMARY KEY,
  value TEXT
) WITHOUT ROWID;
`;

/** Creates or checks the schema; safe when many processes open a new database at once. */
export function migrate(db: BetterSqlite3.Database): void {
  // Nearly every open finds the schema current: a plain read then, no write lock taken.
  if (db.pragma('user_version', { simple: true }) === SCHEMA_VERSION) return;
  db.transaction(() => {
    const version = db.pragma('user_version', { simple: true }) as number;
    if (version === SCHEMA_VERSION) return;
    if (version > SCHEMA_VERSION) {
      throw new Error(`database schema version ${version} is newer than this trunkline (${SCHEMA_VERSION})`);
    }
    db.exec(SCHEMA);
    db.pragma(`user_version = ${SCHEMA_VERSION}`);
  }).immediate();
}
