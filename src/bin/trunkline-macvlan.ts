import { start } from '../cni/snapshot.js';
import { ipam, macvlan, preloadIpam, preloadMacvlan, processRegistry } from '../plugins/registry.js';

start('trunkline-macvlan', () => processRegistry({ 'trunkline-macvlan': macvlan, 'trunkline-ipam': ipam }), [
  preloadMacvlan,
  preloadIpam,
]);
