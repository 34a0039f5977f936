// Configuration of the macvlan plugin: the reference plugin's fields, plus the on-demand VLAN/bond
// fields Spiderpool's ifacer offers.
import type { NetConf } from '../../cni/types.js';
import type { MacvlanMode } from '../../kernel/types.js';

export interface MacvlanNetConf extends NetConf {
  master?: string;
  mode?: string;
  mtu?: number;
  mac?: string;
  linkInContainer?: boolean;
}

/** What loadConf produces: every field resolved and validated. */
export interface MacvlanConf extends MacvlanNetConf {
  master: string;
  macvlanMode: MacvlanMode;
  mtu: number;
  /** Effective MAC after config < CNI_ARGS MAC= < runtimeConfig.mac, lower-cased. */
  effectiveMac?: string;
  ipamType?: string;
  /** The master's MTU when it was looked up (ADD/CHECK). */
  masterMtu?: number;
}

export const MODES: readonly MacvlanMode[] = ['bridge', 'private', 'vepa', 'passthru', 'source'];
