import { start } from '../cni/snapshot.js';
import {
  coordinator,
  ipam,
  macvlan,
  meta,
  preloadCoordinator,
  preloadIpam,
  preloadMacvlan,
  preloadMeta,
  processRegistry,
} from '../plugins/registry.js';

start(
  'trunkline',
  () =>
    processRegistry({
      trunkline: meta,
      'trunkline-macvlan': macvlan,
      'trunkline-ipam': ipam,
      'trunkline-coordinator': coordinator,
    }),
  [preloadMeta, preloadMacvlan, preloadIpam, preloadCoordinator],
);
