// Our plugin types for a plugin process started by the shim without the agent. A call runs a delegate
// in the same process when CNI_PATH resolves its type to our own shim — the file the runtime would
// execute is the one that would start this very code — so a pod costs one Node start per plugin the
// runtime executes rather than one per delegation (meta → macvlan → trunkline-ipam → coordinator was
// four). Anything else on the path (a wrapper, another build, a third-party plugin) is executed as
// libcni would. Each type is loaded on first use: the bundle evaluates only the code the call needs.
import { readFileSync, statSync } from 'node:fs';
import { findInPath } from '../cni/exec.js';
import type { Plugin, Registry } from '../cni/plugin.js';
import { processKernel } from '../kernel/index.js';
import type { Kernel } from '../kernel/types.js';

const kernel = async (): Promise<() => Kernel> => {
  const k = await processKernel();
  return () => k;
};

type Loader = () => Promise<Plugin>;

// One loader per type, each its own export: a bundle holds only the types its entry names (the
// coordinator's bundle needs no IPAM, and parsing unused code costs every process its start-up).
export const meta: Loader = async () =>
  (await import('./meta/index.js')).metaPlugin({ kernel: await kernel() });
export const macvlan: Loader = async () => (await import('./macvlan/index.js')).macvlanPlugin(await kernel());
export const ipam: Loader = async () => (await import('./ipam/index.js')).ipamPlugin();
export const coordinator: Loader = async () =>
  (await import('./coordinator/index.js')).coordinatorPlugin(await kernel());

/**
 * What a start-up snapshot evaluates ahead (src/cni/snapshot.ts), one export per loader like the
 * loaders, so a bundle holds only its own: the modules the loader needs, imported without constructing
 * anything, then a warm-up that runs their pure code once so the snapshot keeps it compiled (each
 * plugin's warm.ts says what it runs). macvlan and the coordinator run on the netlink kernel; the IPAM
 * reads local manifests with 'yaml' into its SQLite store.
 */
const warmCni = () => import('../cni/warm.js').then((m) => m.warmCni());
export const preloadMeta = () =>
  Promise.all([import('./meta/index.js'), warmCni(), import('./meta/warm.js').then((m) => m.warmMeta())]);
export const preloadMacvlan = () =>
  Promise.all([
    import('./macvlan/index.js'),
    import('../kernel/netlink/index.js'),
    warmCni(),
    import('./macvlan/warm.js').then((m) => m.warmMacvlan()),
  ]);
export const preloadIpam = () =>
  Promise.all([
    import('./ipam/index.js'),
    import('../store/sqlite.js').then((m) => m.preloadDriver()),
    warmCni(),
    import('./ipam/warm.js').then((m) => m.warmIpamPlugin()),
  ]);
export const preloadCoordinator = () =>
  Promise.all([
    import('./coordinator/index.js'),
    import('../kernel/netlink/index.js'),
    warmCni(),
    import('../kernel/netlink/warm.js').then((m) => m.warmNetlink()),
  ]);

/** Whether `file` is the shim that started this process: the same file, or a byte-identical copy. */
function sameAsLauncher(launcher: string): (file: string) => boolean {
  let mine: { dev: number; ino: number; size: number } | undefined;
  let bytes: Buffer | undefined;
  return (file) => {
    try {
      mine ??= statSync(launcher);
      const st = statSync(file);
      if (st.dev === mine.dev && st.ino === mine.ino) return true;
      if (st.size !== mine.size) return false;
      bytes ??= readFileSync(launcher);
      return bytes.equals(readFileSync(file));
    } catch {
      return false;
    }
  };
}

/**
 * The registry of one plugin process: the types in `loaders` (type → loader), each created once on
 * first use. `launcher` is the executable that started the process (the shim: our parent); a delegate
 * runs in-process only when its type resolves on CNI_PATH to that shim.
 */
export function processRegistry(
  loaders: Record<string, Loader>,
  launcher = `/proc/${process.ppid}/exe`,
): Registry {
  const loaded = new Map<string, Promise<Plugin>>();
  const ours = sameAsLauncher(launcher);
  return {
    get(type, path) {
      const load = loaders[type];
      if (load === undefined) return undefined;
      // The process's own type (path undefined) is always ours; a delegate only if the path says so.
      if (path !== undefined) {
        let file: string;
        try {
          file = findInPath(type, path);
        } catch {
          return undefined; // executing it reports the missing plugin
        }
        if (!ours(file)) return undefined;
      }
      let p = loaded.get(type);
      if (p === undefined) {
        p = load();
        loaded.set(type, p);
      }
      return p;
    },
  };
}
