import { main } from '../cni/skel.js';
import { coordinator, ipam, macvlan, meta, processRegistry } from '../plugins/registry.js';

main(
  'trunkline',
  processRegistry({
    trunkline: meta,
    'trunkline-macvlan': macvlan,
    'trunkline-ipam': ipam,
    'trunkline-coordinator': coordinator,
  }),
);
