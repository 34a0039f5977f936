import { main } from '../cni/skel.js';
import { coordinatorPlugin } from '../plugins/coordinator/index.js';

main(coordinatorPlugin());
