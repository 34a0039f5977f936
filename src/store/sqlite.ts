// The embedded default store: one SQLite file per host (better-sqlite3, WAL). Every mutation is one
// IMMEDIATE transaction, so concurrent plugin processes serialize on SQLite's write lock (waiting up
// to busyTimeoutMs) and a process killed at any instant leaves either the whole change or none of it.
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type BetterSqlite3 from 'better-sqlite3';
import { sqliteNativeBinding } from './binding.js';
import { retryWhileLocked, storeError } from './sqlite-errors.js';
import { FreeSpace } from './sqlite-free.js';
import { prepare, type Queries, type Row, toAllocation } from './sqlite-rows.js';
import { migrate } from './sqlite-schema.js';
import { Abort, takeFirstFree, takeRequested } from './sqlite-take.js';
import type {
  AllocateResult,
  Allocation,
  AllocationStore,
  FamilyRequest,
  Holder,
  HolderKey,
} from './types.js';

export const DEFAULT_DB_PATH = '/var/lib/trunkline/ipam.db';

export interface SqliteStoreOptions {
  path?: string;
  /** How long a writer waits for the lock held by other processes (default 30 s). */
  busyTimeoutMs?: number;
  /**
   * 'normal' (default) survives any process crash (kill -9); 'full' also survives power loss at the
   * cost of an fsync per allocation.
   */
  synchronous?: 'normal' | 'full';
  /** Called with every statement run (parameters filled in): how tests count work per allocation. */
  onStatement?: (sql: string) => void;
  /**
   * WAL pages after which a commit checkpoints the WAL into the database itself, on the committing
   * call (SQLite's default 1,000: 10–30 ms every few hundred allocations). A long-lived owner (the
   * agent) sets a high bound and calls checkpoint() at quiet moments instead.
   */
  walAutoCheckpoint?: number;
}

/** The driver's JavaScript, evaluated ahead by a start-up snapshot; its native part loads in open(). */
export const preloadDriver = () => import('better-sqlite3');

function loadAddon(path: string): unknown {
  const m = { exports: {} };
  process.dlopen(m, path);
  return m.exports;
}

export class SqliteStore implements AllocationStore {
  readonly path: string;
  private readonly busyTimeoutMs: number;
  private readonly synchronous: 'normal' | 'full';
  private readonly onStatement: ((sql: string) => void) | undefined;
  private readonly walAutoCheckpoint: number | undefined;
  private db: BetterSqlite3.Database | undefined;
  private q: Queries | undefined;
  private free: FreeSpace | undefined;

  constructor(opts: SqliteStoreOptions = {}) {
    this.path = opts.path ?? DEFAULT_DB_PATH;
    this.busyTimeoutMs = opts.busyTimeoutMs ?? 30_000;
    this.synchronous = opts.synchronous ?? 'normal';
    this.onStatement = opts.onStatement;
    this.walAutoCheckpoint = opts.walAutoCheckpoint;
  }

  get description(): string {
    return `sqlite:${this.path}`;
  }

  async open(): Promise<void> {
    if (this.db !== undefined) return;
    let db: BetterSqlite3.Database | undefined;
    try {
      mkdirSync(dirname(this.path), { recursive: true });
      const { default: Database } = await import('better-sqlite3');
      const bindingPath = sqliteNativeBinding();
      // Loaded here rather than by better-sqlite3's own require, which in a bundle started from a
      // start-up snapshot resolves built-in modules only (and a path needs no module resolution).
      // The driver takes the loaded addon as well as a path; @types says string only.
      const nativeBinding = bindingPath !== undefined ? (loadAddon(bindingPath) as string) : undefined;
      // No busy handler: it waits inside the synchronous call, so in the node agent one database
      // locked by another process would stall every request on the node for the whole timeout. The
      // wait happens in retryWhileLocked() instead, between attempts, with the event loop free.
      db = new Database(this.path, {
        timeout: 0,
        ...(this.onStatement !== undefined
          ? { verbose: (sql: unknown) => this.onStatement?.(String(sql)) }
          : {}),
        ...(nativeBinding !== undefined ? { nativeBinding } : {}),
      });
      const d = db;
      await retryWhileLocked(() => {
        if (d.pragma('journal_mode', { simple: true }) !== 'wal') d.pragma('journal_mode = WAL');
        d.pragma(`synchronous = ${this.synchronous === 'full' ? 'FULL' : 'NORMAL'}`);
        if (this.walAutoCheckpoint !== undefined) d.pragma(`wal_autocheckpoint = ${this.walAutoCheckpoint}`);
        migrate(d);
      }, this.busyTimeoutMs);
      this.q = prepare(db);
      this.free = new FreeSpace(db);
      this.db = db;
    } catch (err) {
      db?.close();
      throw storeError(err, 'open', this.description, this.busyTimeoutMs);
    }
  }

  /**
   * Copies what it can of the WAL into the database without waiting for other connections (PASSIVE);
   * returns how many WAL pages are now in the database (all of them unless another connection is
   * reading), 0 when the store is not open or another connection is checkpointing.
   */
  checkpoint(): number {
    if (this.db === undefined) return 0;
    try {
      const [row] = this.db.pragma('wal_checkpoint(PASSIVE)') as { checkpointed: number }[];
      return Math.max(0, row?.checkpointed ?? 0);
    } catch {
      return 0; // SQLITE_BUSY: another connection is checkpointing; the next quiet moment retries
    }
  }

  async close(): Promise<void> {
    this.db?.close();
    this.db = undefined;
    this.q = undefined;
    this.free = undefined;
  }

  async allocate(holder: Holder, requests: readonly FamilyRequest[]): Promise<AllocateResult> {
    const { db, q } = await this.ready();
    const now = new Date().toISOString();
    let existing = true;
    const tx = db.transaction(() => {
      existing = true;
      const out: Allocation[] = [];
      for (const req of requests) {
        const held = q.held.get(holder.containerId, holder.ifname, req.family);
        if (held !== undefined) {
          out.push(toAllocation(held));
          continue;
        }
        existing = false;
        const key =
          req.requestedIp !== undefined
            ? takeRequested(this.need(), holder, req, now)
            : takeFirstFree(this.need(), holder, req, now);
        out.push(toAllocation(q.byIp.get(key)!));
      }
      return out;
    });
    try {
      const allocations = await retryWhileLocked(() => tx.immediate(), this.busyTimeoutMs);
      return { ok: true, allocations, existing };
    } catch (err) {
      if (err instanceof Abort) return err.result;
      throw storeError(err, 'allocate', this.description, this.busyTimeoutMs);
    }
  }

  async get(key: HolderKey): Promise<Allocation[]> {
    const { q } = await this.ready();
    return this.guard('read', () => q.byHolder.all(key.containerId, key.ifname).map(toAllocation));
  }

  async release(key: HolderKey): Promise<Allocation[]> {
    const { db, q } = await this.ready();
    const tx = db.transaction(() => this.releaseRows(q.byHolder.all(key.containerId, key.ifname)));
    return this.guard('release', () => tx.immediate());
  }

  async list(pool?: string): Promise<Allocation[]> {
    const { q } = await this.ready();
    return this.guard('read', () =>
      (pool === undefined ? q.all.all() : q.ofPool.all(pool)).map(toAllocation),
    );
  }

  async releaseAllExcept(
    valid: readonly HolderKey[],
    scope: { network?: string } = {},
  ): Promise<Allocation[]> {
    const { db, q } = await this.ready();
    const keep = new Set(valid.map((k) => `${k.containerId}\u0000${k.ifname}`));
    const inScope = (r: Row) => scope.network === undefined || r.network === scope.network;
    const tx = db.transaction(() =>
      this.releaseRows(
        q.all.all().filter((r) => inScope(r) && !keep.has(`${r.container_id}\u0000${r.ifname}`)),
      ),
    );
    return this.guard('gc', () => tx.immediate());
  }

  async check(): Promise<void> {
    const { db, q } = await this.ready();
    // A real (tiny) write: a database opened read-only or on a full disk fails here, not at ADD time.
    await this.guard('check', () => db.transaction(() => q.touch.run(new Date().toISOString())).immediate());
  }

  private releaseRows(rows: Row[]): Allocation[] {
    const { q, free } = this.need();
    for (const r of rows) {
      q.remove.run(r.ip);
      free.giveBack(r.pool, r.ip);
    }
    return rows.map(toAllocation);
  }

  private async ready(): Promise<{ db: BetterSqlite3.Database; q: Queries }> {
    await this.open();
    return { db: this.db!, q: this.q! };
  }

  private need(): { q: Queries; free: FreeSpace } {
    return { q: this.q!, free: this.free! };
  }

  private async guard<T>(op: string, fn: () => T): Promise<T> {
    try {
      return await retryWhileLocked(fn, this.busyTimeoutMs);
    } catch (err) {
      throw storeError(err, op, this.description, this.busyTimeoutMs);
    }
  }
}
