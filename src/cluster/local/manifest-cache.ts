// Parsed manifests kept between processes. Without an agent every CNI call is a new process that reads
// the same pool manifests, and parsing YAML costs an ADD ~2.5 ms where reading the values back as JSON
// costs a few µs. Each file's values are stored with the file's identity (device, inode, size, mtime
// and ctime in ns, through symlinks); any change to the file changes one of them, so a stale entry is
// never used. A file changed within the filesystem's timestamp granularity could keep all five, so a
// file younger than SETTLE_MS is parsed and not stored (git's "racily clean" rule). The cache is only a
// shortcut: unreadable, corrupt or unwritable, it is ignored and the files are parsed.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

const VERSION = 1;
const SETTLE_MS = 2_000;

/** Where the cache lives: a file in a state directory, created with it or only inside an existing one. */
export interface CacheFile {
  path: string;
  createStateDir: boolean;
}

interface Entry {
  key: string;
  docs: unknown[];
}

/** Values JSON carries unchanged: a YAML file with `.inf`, sets or timestamps is simply not stored. */
function jsonSafe(v: unknown): boolean {
  if (v === null || typeof v === 'string' || typeof v === 'boolean') return true;
  if (typeof v === 'number') return Number.isFinite(v);
  if (Array.isArray(v)) return v.every(jsonSafe);
  if (typeof v !== 'object') return false;
  const proto = Object.getPrototypeOf(v);
  if (proto !== Object.prototype && proto !== null) return false;
  return Object.entries(v).every(([k, x]) => k !== '__proto__' && jsonSafe(x));
}

export class ManifestCache {
  private readonly entries = new Map<string, Entry>();
  private readonly used = new Map<string, Entry>();
  private readonly pending = new Map<string, { key: string; settled: boolean }>();
  private dirty = false;

  private readonly file: string | undefined;

  /** `at` undefined: nothing is read or stored. */
  constructor(private readonly at: CacheFile | undefined) {
    this.file = at?.path;
    if (at === undefined) return;
    try {
      const saved = JSON.parse(readFileSync(at.path, 'utf8')) as {
        v?: unknown;
        files?: Record<string, Entry>;
      };
      if (saved.v !== VERSION || typeof saved.files !== 'object' || saved.files === null) return;
      for (const [path, e] of Object.entries(saved.files)) {
        if (typeof e?.key === 'string' && Array.isArray(e.docs)) this.entries.set(path, e);
      }
    } catch (e) {
      // None yet: parse everything. A corrupt one is replaced by the next save.
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') this.dirty = true;
    }
  }

  /** The cache file for the manifests under `paths`, in `stateDir`. */
  static fileFor(stateDir: string, paths: readonly string[], createStateDir = false): CacheFile {
    const id = createHash('sha256').update(JSON.stringify(paths)).digest('hex').slice(0, 16);
    return { path: join(stateDir, 'cache', `manifests-${id}.json`), createStateDir };
  }

  /** The stored values of `path`, when the file is still the one they were parsed from. */
  get(path: string): unknown[] | undefined {
    if (this.file === undefined) return undefined;
    let key: string;
    let settled: boolean;
    try {
      const st = statSync(path, { bigint: true });
      key = `${st.dev}:${st.ino}:${st.size}:${st.mtimeNs}:${st.ctimeNs}`;
      settled = Date.now() - Math.max(Number(st.ctimeMs), Number(st.mtimeMs)) > SETTLE_MS;
    } catch {
      return undefined; // reading it reports the error
    }
    const e = this.entries.get(path);
    if (e !== undefined && e.key === key) {
      this.used.set(path, e);
      return e.docs;
    }
    // Identity taken before the file is read: a change after this point makes the stored key stale.
    this.pending.set(path, { key, settled });
    return undefined;
  }

  /** Records what `path` parsed to (after get() missed). */
  put(path: string, docs: unknown[]): void {
    const p = this.pending.get(path);
    if (p === undefined || !p.settled || !jsonSafe(docs)) return;
    this.used.set(path, { key: p.key, docs });
    this.dirty = true;
  }

  /** Writes the entries of this read (files no longer read are dropped), replacing the file atomically. */
  save(): void {
    if (this.at === undefined || this.file === undefined) return;
    if (!this.dirty && this.used.size === this.entries.size) return;
    const tmp = `${this.file}.${process.pid}.tmp`;
    try {
      const dir = dirname(this.file);
      // Without createStateDir only inside an existing state directory: the default one belongs to
      // the store that creates it (and a test that names none gets no /var/lib/trunkline from here).
      if (!existsSync(dir)) mkdirSync(dir, { recursive: this.at.createStateDir, mode: 0o700 });
      writeFileSync(tmp, JSON.stringify({ v: VERSION, files: Object.fromEntries(this.used) }), {
        mode: 0o600,
      });
      renameSync(tmp, this.file);
    } catch {
      // no state directory, or a read-only one, or a concurrent mkdir: the next call parses again
      rmSync(tmp, { force: true });
    }
  }
}
