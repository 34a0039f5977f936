import { main } from '../cni/skel.js';
import { ipamPlugin } from '../plugins/ipam/index.js';

main(ipamPlugin());
