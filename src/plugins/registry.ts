// Our plugin types for a plugin process started without the agent. A call runs its delegates of these
// types in the same process, so a pod costs one Node start per plugin the runtime executes rather than
// one per delegation (meta → macvlan → trunkline-ipam → coordinator was four). Each type is loaded on
// first use: the bundle evaluates only the code the call needs.
import type { Plugin, Registry } from '../cni/plugin.js';

const loaders: Record<string, () => Promise<Plugin>> = {
  trunkline: async () => (await import('./meta/index.js')).metaPlugin(),
  'trunkline-macvlan': async () => (await import('./macvlan/index.js')).macvlanPlugin(),
  'trunkline-ipam': async () => (await import('./ipam/index.js')).ipamPlugin(),
  'trunkline-coordinator': async () => (await import('./coordinator/index.js')).coordinatorPlugin(),
};

/** The registry of one plugin process: each of our types, created once on first use. */
export function processRegistry(): Registry {
  const loaded = new Map<string, Promise<Plugin>>();
  return {
    get(type) {
      const load = loaders[type];
      if (load === undefined) return undefined;
      let p = loaded.get(type);
      if (p === undefined) {
        p = load();
        loaded.set(type, p);
      }
      return p;
    },
  };
}
