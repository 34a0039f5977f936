import { main } from '../cni/skel.js';
import { ipam, macvlan, processRegistry } from '../plugins/registry.js';

main('trunkline-macvlan', processRegistry({ 'trunkline-macvlan': macvlan, 'trunkline-ipam': ipam }));
