import { main } from '../cni/skel.js';
import { processRegistry } from '../plugins/registry.js';

main('trunkline-ipam', processRegistry());
