// The webhook's table, like a plugin registry: group/kind → handler. Kinds not listed are admitted.
import { ippool } from './ippool.js';
import { nad } from './nad.js';
import { pod } from './pod.js';
import { reservedip } from './reservedip.js';
import type { KindHandler } from './review.js';
import { smc } from './smc.js';

export const HANDLERS: ReadonlyMap<string, KindHandler> = new Map([
  ['spiderpool.spidernet.io/SpiderIPPool', ippool],
  ['spiderpool.spidernet.io/SpiderReservedIP', reservedip],
  ['k8s.cni.cncf.io/NetworkAttachmentDefinition', nad],
  ['spiderpool.spidernet.io/SpiderMultusConfig', smc],
  ['/Pod', pod],
]);
