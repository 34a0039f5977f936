import { main } from '../cni/skel.js';
import { metaPlugin } from '../plugins/meta/index.js';

main(metaPlugin());
