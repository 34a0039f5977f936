import { main } from '../cni/skel.js';
import { ipam, processRegistry } from '../plugins/registry.js';

main('trunkline-ipam', processRegistry({ 'trunkline-ipam': ipam }));
