// A cross-process lock for host-wide changes that many plugin processes may attempt at once (creating
// the same bond or VLAN). mkdir is atomic; a lock older than STALE_MS belongs to a dead process.
import { mkdirSync, rmdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { tryAgainLater } from '../../cni/errors.js';

// Read per call, not at import: a start-up snapshot evaluates this module at build time.
const lockDir = () => process.env['TRUNKLINE_LOCK_DIR'] ?? '/run/trunkline/locks';
const STALE_MS = 30_000;
const WAIT_MS = 20_000;

export async function withHostLock<T>(name: string, fn: () => Promise<T>): Promise<T> {
  const dir = lockDir();
  mkdirSync(dir, { recursive: true });
  const path = join(dir, `${name}.lock`);
  const deadline = Date.now() + WAIT_MS;
  for (;;) {
    try {
      mkdirSync(path);
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      try {
        if (Date.now() - statSync(path).mtimeMs > STALE_MS) rmdirSync(path);
      } catch {
        // released meanwhile
      }
      if (Date.now() > deadline) throw tryAgainLater(`host lock ${path} is held by another process`);
      await new Promise((r) => setTimeout(r, 10 + Math.random() * 20));
    }
  }
  try {
    return await fn();
  } finally {
    try {
      rmdirSync(path);
    } catch {
      // removed as stale by someone else: nothing to do
    }
  }
}
