// The meta plugin (`type: trunkline`): Multus-compatible multi-network attachment.
import type { PodRef } from '../../cni/args.js';
import type { Result } from '../../cni/types.js';
import type { Delegate } from '../../multus/delegates.js';

export type { MultusConf as MetaConf } from '../../multus/config.js';

/**
 * What cniDir/<containerID> holds: written before any delegate runs (so DEL can undo a half-done
 * ADD), then updated with each delegate's result (CHECK and conflist DEL need them as prevResult).
 */
export interface DelegateCache {
  version: 1;
  containerId: string;
  netns: string;
  /** CNI_IFNAME of the ADD. */
  ifname: string;
  /** CNI_ARGS of the ADD, reused for DEL so delegates see the same identity. */
  args: string;
  pod?: PodRef;
  delegates: Delegate[];
  /** results[i] is delegate i's result (after default-route handling); null until it ran. */
  results: (Result | null)[];
}
