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
import { Code, causedBy } from '../../cni/errors.js';
import type { DelegateCache } from './types.js';

/**
 * One file per attachment of the meta plugin: <containerID> for eth0, Multus's name (a kubelet only
 * ever attaches eth0), and <containerID>.<ifname> for the others — podman's `--network a,b` runs the
 * meta plugin once per network, and one shared file would make the first DEL forget the second's.
 */
const pathOf = (cniDir: string, containerId: string, ifname: string) =>
  join(cniDir, ifname === 'eth0' ? containerId : `${containerId}.${ifname}`);

export function saveCache(cniDir: string, cache: DelegateCache): void {
  const file = pathOf(cniDir, cache.containerId, cache.ifname);
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
    throw causedBy(Code.IoFailure, `cannot write the delegate cache ${file}`, err);
  }
}

/** undefined when there is no (readable) cache for the container. */
export function loadCache(cniDir: string, containerId: string, ifname: string): DelegateCache | undefined {
  return readCache(pathOf(cniDir, containerId, ifname));
}

function readCache(file: string): DelegateCache | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
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

export function removeCache(cniDir: string, containerId: string, ifname: string): void {
  rmSync(pathOf(cniDir, containerId, ifname), { force: true });
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
    .map((n) => readCache(join(cniDir, n)))
    .filter((c): c is DelegateCache => c !== undefined);
}
