import { start } from '../cni/snapshot.js';
import { ipam, preloadIpam, processRegistry } from '../plugins/registry.js';

start('trunkline-ipam', () => processRegistry({ 'trunkline-ipam': ipam }), [preloadIpam]);
