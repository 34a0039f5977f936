// Replacing a file that a runtime may be executing at this instant: write a sibling temporary file,
// fsync it, rename it over the target, fsync the directory. The old inode stays intact for whoever
// has it open or is executing it (no ETXTBSY, Multus #1221), and a reader sees either the old or the
// new content, never a partial one.
import { createHash } from 'node:crypto';
import {
  chmodSync,
  closeSync,
  constants,
  fsyncSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeSync,
} from 'node:fs';
import { basename, dirname, join } from 'node:path';

export function sha256(data: Buffer | string): string {
  return createHash('sha256').update(data).digest('hex');
}

/** sha256 of the file at `path`, or undefined when there is none. */
function fileHash(path: string): string | undefined {
  try {
    return sha256(readFileSync(path));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

function fsyncDir(dir: string): void {
  const fd = openSync(dir, constants.O_RDONLY | constants.O_DIRECTORY);
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/**
 * Puts `data` at `path` with `mode` unless the file already holds exactly that (idempotent: an
 * unchanged file keeps its inode and mtime). Returns whether it wrote.
 */
export function writeAtomic(path: string, data: Buffer | string, mode: number): boolean {
  const want = Buffer.isBuffer(data) ? data : Buffer.from(data);
  const existing = (() => {
    try {
      return statSync(path);
    } catch {
      return undefined;
    }
  })();
  if (existing && (existing.mode & 0o7777) === mode && fileHash(path) === sha256(want)) return false;
  const dir = dirname(path);
  const tmp = join(dir, `.${basename(path)}.trunkline-${process.pid}.tmp`);
  const fd = openSync(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC, mode);
  try {
    for (let off = 0; off < want.length; ) off += writeSync(fd, want, off, want.length - off);
    fsyncSync(fd);
  } catch (err) {
    closeSync(fd);
    rmSync(tmp, { force: true });
    throw new Error(`cannot write ${path}`, { cause: err });
  }
  closeSync(fd);
  try {
    // The umask may have narrowed the creation mode.
    chmodSync(tmp, mode);
    renameSync(tmp, path);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw new Error(`cannot replace ${path}`, { cause: err });
  }
  fsyncDir(dir);
  return true;
}
