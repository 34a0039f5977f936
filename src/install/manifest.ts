// The record of what `trunkline install` wrote, kept in the state dir, so `trunkline uninstall` removes
// exactly that: files it wrote (restoring any file it displaced) and directories it created.
import { existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { sha256, writeAtomic } from './atomic.js';

const MANIFEST_FILE = 'install-manifest.json';

interface FileEntry {
  sha256: string;
  /** A file that was at this path before the first install (not ours): saved here, put back on uninstall. */
  backup?: { path: string; mode: number };
}

interface Manifest {
  version: 1;
  files: Record<string, FileEntry>;
  /** Directories install created, in creation order (parents first). */
  dirs: string[];
}

export function manifestPath(stateDir: string): string {
  return join(stateDir, MANIFEST_FILE);
}

export function loadManifest(stateDir: string): Manifest {
  const path = manifestPath(stateDir);
  if (!existsSync(path)) return { version: 1, files: {}, dirs: [] };
  const m = JSON.parse(readFileSync(path, 'utf8')) as Partial<Manifest>;
  if (m.version !== 1 || typeof m.files !== 'object' || !Array.isArray(m.dirs))
    throw new Error(`${path}: expected an install manifest (version 1, files, dirs), found something else`);
  return m as Manifest;
}

/** Writes files and directories, noting each in the manifest as it goes. */
export class Recorder {
  readonly manifest: Manifest;

  constructor(readonly stateDir: string) {
    this.manifest = loadManifest(stateDir);
  }

  ensureDir(dir: string): void {
    const missing: string[] = [];
    for (let d = resolve(dir); !existsSync(d); d = dirname(d)) missing.unshift(d);
    for (const d of missing) {
      mkdirSync(d, { mode: 0o755 });
      if (!this.manifest.dirs.includes(d)) this.manifest.dirs.push(d);
    }
  }

  /** Puts the file in place atomically; returns whether its content changed. */
  put(path: string, data: Buffer | string, mode: number): boolean {
    const abs = resolve(path);
    this.ensureDir(dirname(abs));
    const known = this.manifest.files[abs];
    let backup = known?.backup;
    if (known === undefined && existsSync(abs)) {
      const saved = join(this.stateDir, 'displaced', sha256(abs));
      this.ensureDir(dirname(saved));
      writeAtomic(saved, readFileSync(abs), 0o600);
      backup = { path: saved, mode: statSync(abs).mode & 0o7777 };
    }
    const changed = writeAtomic(abs, data, mode);
    this.manifest.files[abs] = { sha256: sha256(data), ...(backup ? { backup } : {}) };
    return changed;
  }

  save(): void {
    this.ensureDir(this.stateDir);
    writeAtomic(manifestPath(this.stateDir), `${JSON.stringify(this.manifest, null, 2)}\n`, 0o600);
  }
}
