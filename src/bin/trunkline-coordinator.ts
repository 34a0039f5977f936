import { main } from '../cni/skel.js';
import { coordinator, processRegistry } from '../plugins/registry.js';

main('trunkline-coordinator', processRegistry({ 'trunkline-coordinator': coordinator }));
