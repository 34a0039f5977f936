// How the SQLite store waits for another process's lock and what its failures become for a runtime:
// a lock that outlasts the busy timeout is 11 (retry), a file that cannot be used is the store being
// unavailable, anything else 999 with the original kept as cause.
import { setTimeout as sleep } from 'node:timers/promises';
import { CniError, Code, tryAgainLater } from '../cni/errors.js';
import { StoreUnavailableError } from './errors.js';

const UNAVAILABLE = /^SQLITE_(CANTOPEN|READONLY|IOERR|CORRUPT|NOTADB|FULL|PERM|AUTH|NOLFS)/;

const sqliteCode = (err: unknown): unknown => (err as { code?: unknown } | null)?.code;

/**
 * Waits for another process's lock (up to busyTimeoutMs) by running the operation again: the store's
 * connection has no busy handler, so SQLite reports SQLITE_BUSY at once, and the wait happens here,
 * between attempts, with the event loop free. Every operation is one whole transaction, so running it
 * again is safe.
 */
export async function retryWhileLocked<T>(fn: () => T, busyTimeoutMs: number): Promise<T> {
  const deadline = Date.now() + busyTimeoutMs;
  for (let attempt = 0; ; attempt++) {
    try {
      return fn();
    } catch (err) {
      const code = sqliteCode(err);
      const busy = typeof code === 'string' && /^SQLITE_(BUSY|LOCKED)/.test(code);
      if (!busy || Date.now() >= deadline) throw err;
      await sleep(Math.min(50, 2 ** attempt) * (0.5 + Math.random()));
    }
  }
}

/** The CNI error for a failure of `op` on the store described by `description`. */
export function storeError(err: unknown, op: string, description: string, busyTimeoutMs: number): CniError {
  if (err instanceof CniError) return err;
  const code = sqliteCode(err);
  const msg = err instanceof Error ? err.message : String(err);
  if (code === 'SQLITE_BUSY' || code === 'SQLITE_BUSY_SNAPSHOT' || code === 'SQLITE_LOCKED') {
    return tryAgainLater(
      `IPAM store ${description} stayed locked for ${busyTimeoutMs} ms during ${op}`,
      'another process held the write lock; retry',
    );
  }
  if (op === 'open' || (typeof code === 'string' && UNAVAILABLE.test(code))) {
    return new StoreUnavailableError(description, `${op} failed: ${msg}`, { cause: err });
  }
  return new CniError(Code.Internal, `IPAM store ${description}: ${op} failed: ${msg}`, undefined, {
    cause: err,
  });
}
