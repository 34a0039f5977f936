// Configuration of the macvlan plugin: the reference plugin's fields, plus the on-demand VLAN/bond
// fields Spiderpool's ifacer offers.
import type { NetConf } from '../../cni/types.js';
import type { MacvlanMode } from '../../kernel/types.js';
import type { IfacerSpec } from './ifacer.js';

interface MacvlanNetConf extends NetConf {
  /** A list only together with `bond` (Spiderpool's SpiderMultusConfig form). */
  master?: string | string[];
  vlanID?: number;
  bond?: { name: string; mode?: number | string; options?: string | Record<string, string> };
  mode?: string;
  mtu?: number;
  mac?: string;
  linkInContainer?: boolean;
}

/** What loadConf produces: every field resolved and validated. */
export interface MacvlanConf extends MacvlanNetConf {
  /** The macvlan's parent after on-demand resolution (e.g. bond0.100). */
  master: string;
  /** Set when the parent (bond and/or VLAN) is created on demand by ADD. */
  ifacer?: IfacerSpec;
  macvlanMode: MacvlanMode;
  mtu: number;
  /** Effective MAC after config < CNI_ARGS MAC= < runtimeConfig.mac, lower-cased. */
  effectiveMac?: string;
  ipamType?: string;
  /** The master's MTU when it was looked up (ADD/CHECK). */
  masterMtu?: number;
}

export const MODES: readonly MacvlanMode[] = ['bridge', 'private', 'vepa', 'passthru', 'source'];
