// The delegate cache in cniDir: one JSON file per container, replaced atomically (write + fsync +
// rename) so a crash never leaves a torn file that would make DEL forget what to release.
import {
  closeSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import { ioFailure } from '../../cni/errors.js';
import type { DelegateCache } from './types.js';

const pathOf = (cniDir: string, containerId: string) => join(cniDir, containerId);

export function saveCache(cniDir: string, cache: DelegateCache): void {
  const file = pathOf(cniDir, cache.containerId);
  const tmp = `${file}.${process.pid}.tmp`;
  try {
    mkdirSync(cniDir, { recursive: true, mode: 0o700 });
    const fd = openSync(tmp, 'w', 0o600);
    try {
      writeSync(fd, JSON.stringify(cache));
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, file);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw ioFailure(`cannot write the delegate cache ${file}: ${(err as Error).message}`);
  }
}

/** undefined when there is no (readable) cache for the container. */
export function loadCache(cniDir: string, containerId: string): DelegateCache | undefined {
  let text: string;
  try {
    text = readFileSync(pathOf(cniDir, containerId), 'utf8');
  } catch {
    return undefined;
  }
  try {
    const c = JSON.parse(text) as DelegateCache;
    return c.version === 1 && Array.isArray(c.delegates) ? c : undefined;
  } catch {
    return undefined;
  }
}

export function removeCache(cniDir: string, containerId: string): void {
  rmSync(pathOf(cniDir, containerId), { force: true });
}

/** Every readable cache in cniDir (GC and the DEL fallback use them as the list of live containers). */
export function listCaches(cniDir: string): DelegateCache[] {
  let names: string[];
  try {
    names = readdirSync(cniDir);
  } catch {
    return [];
  }
  return names
    .filter((n) => !n.endsWith('.tmp'))
    .map((n) => loadCache(cniDir, n))
    .filter((c): c is DelegateCache => c !== undefined);
}
