// The delegate cache in cniDir: one JSON file per container, replaced atomically (write + fsync +
// rename) so a crash never leaves a torn file that would make DEL forget what to release. The write
// and its fsync run on the thread pool: in the agent a synchronous fsync stalled every other pod's
// request on that node for its duration (milliseconds each on a busy disk, twice per ADD).
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { mkdir, open, rename, rm } from 'node:fs/promises';
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

let tmpSeq = 0;

export async function saveCache(cniDir: string, cache: DelegateCache): Promise<void> {
  const file = pathOf(cniDir, cache.containerId, cache.ifname);
  // One agent process writes many caches at once: the temporary name must be unique per write.
  const tmp = `${file}.${process.pid}.${++tmpSeq}.tmp`;
  try {
    await mkdir(cniDir, { recursive: true, mode: 0o700 });
    const fh = await open(tmp, 'w', 0o600);
    try {
      await fh.writeFile(JSON.stringify(cache));
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, file);
  } catch (err) {
    await rm(tmp, { force: true });
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
