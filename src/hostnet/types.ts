// Host network configuration: the nmstate desired-state subset Trunkline understands (bond, vlan,
// mac-vlan, ethernet), and the normalized per-interface model that show/plan/verify work on.
import type { BondMode, LinkChange, MacvlanMode, NewLink } from '../kernel/types.js';

export type IfaceType = 'bond' | 'vlan' | 'mac-vlan' | 'ethernet';
export type IfaceStateName = 'up' | 'down' | 'absent';
export type VlanProtocol = '802.1q' | '802.1ad';

interface DesiredCommon {
  name: string;
  state: IfaceStateName;
  mtu?: number;
  /** lower-case aa:bb:cc:dd:ee:ff */
  macAddress?: string;
}

export interface DesiredBond extends DesiredCommon {
  type: 'bond';
  /** Required unless state is absent. */
  bond?: {
    mode: BondMode;
    /** Canonical (sysfs/nmstate) option names → normalized values; see bond-options.ts. */
    options: Record<string, string>;
    /** The complete port list when given; omitted = keep the current ports. */
    ports?: string[];
  };
}

interface DesiredVlan extends DesiredCommon {
  type: 'vlan';
  vlan?: { baseIface: string; id: number; protocol: VlanProtocol };
}

interface DesiredMacvlan extends DesiredCommon {
  type: 'mac-vlan';
  macvlan?: { baseIface: string; mode: MacvlanMode };
}

/** A device Trunkline never creates or deletes (a NIC; veth and dummy devices count, for labs). */
interface DesiredEthernet extends DesiredCommon {
  type: 'ethernet';
}

export type DesiredIface = DesiredBond | DesiredVlan | DesiredMacvlan | DesiredEthernet;

export interface HostConfig {
  interfaces: DesiredIface[];
}

/** One interface as the kernel has it (or should have it), in comparable form. */
export interface IfaceState {
  name: string;
  /** Kernel link kind: 'bond' | 'vlan' | 'macvlan' | 'veth' | 'dummy' | 'ether' | 'bridge' | … */
  kind: string;
  up: boolean;
  mtu: number;
  /** '' = unknown (a link about to be created); only enforced when a target carries one. */
  mac: string;
  master?: string;
  bond?: { mode: BondMode; options: Record<string, string> };
  vlan?: { base: string; id: number; protocol: VlanProtocol };
  macvlan?: { base: string; mode: MacvlanMode };
  /**
   * Global-scope addresses (CIDR), kept so a rollback that recreates a link restores them;
   * undefined = not read (apply never changes addresses, so its intermediate reads skip them).
   */
  addrs?: string[];
}

/** Interfaces by name; a missing name means the interface does not exist. */
export type HostState = Map<string, IfaceState>;

export type Step =
  | { op: 'create'; name: string; spec: NewLink; what: string }
  | { op: 'delete'; name: string; what: string }
  | { op: 'set'; name: string; change: LinkChange; what: string }
  | { op: 'addAddr'; name: string; cidr: string; what: string };

export interface ProbeSpec {
  /** IPv4/IPv6 address to ping from the configured namespace. */
  gateway: string;
  timeoutMs: number;
}

export interface ApplyReport {
  /** False when the host already matched: nothing was executed. */
  changed: boolean;
  /** Human-readable steps executed, in order. */
  steps: string[];
  probe?: { gateway: string; ok: boolean; ms: number };
  rolledBack: boolean;
}
