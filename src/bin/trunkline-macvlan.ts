import { main } from '../cni/skel.js';
import { macvlanPlugin } from '../plugins/macvlan/index.js';

main(macvlanPlugin());
