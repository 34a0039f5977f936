// Another process holding a SQLite database's write lock: the sqlite3 shell in an open write
// transaction, as an administrator's session or a stuck tool would hold it.
import { spawn } from 'node:child_process';

export const SQLITE3 = '/usr/bin/sqlite3';

/**
 * Resolves once the shell holds the lock (it writes the store's `meta` table, so the schema must
 * exist); `release()` commits, after `ms` if given, and `released` resolves when the shell is gone.
 */
export async function lockFor(
  db: string,
  ms?: number,
): Promise<{ release(): void; released: Promise<void> }> {
  const child = spawn(SQLITE3, [db], { stdio: ['pipe', 'pipe', 'pipe'] });
  child.stdin.write(
    "BEGIN IMMEDIATE;\nINSERT OR REPLACE INTO meta (key, value) VALUES ('chaos', 'x');\nSELECT 'locked';\n",
  );
  await new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (b: Buffer) => {
      if (b.toString().includes('locked')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`sqlite3 exited ${code} before taking the lock`)));
  });
  const released = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const release = () => {
    if (child.stdin.writable) child.stdin.end('COMMIT;\n');
  };
  if (ms !== undefined) setTimeout(release, ms);
  return { release, released };
}
