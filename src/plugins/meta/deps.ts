// What the meta plugin needs from outside, injectable so the agent and tests choose backends.
import type { ClusterSource } from '../../cluster/types.js';
import type { Kernel } from '../../kernel/types.js';
import type { MetaConf } from './types.js';

export interface MetaDeps {
  kernel: () => Kernel;
  source: (conf: MetaConf) => ClusterSource;
}
