// The lab's model: a parsed scenario (the `kind: Lab` document plus ordinary Kubernetes manifests),
// what `up` built, and what it observed. Everything here is plain data so it can be written as JSON
// (state files, `--json`, the VM guest's report) and read back by `report` and `down`.
import type { HostConfig } from '../hostnet/types.js';

export type Variant = 'vlan' | 'flat';

export interface VlanSpec {
  id: number;
  /** The switch's VLANIF address (CIDR), absent for an L2-only VLAN. */
  gateway?: string;
  /** The VLAN's subnet (CIDR): from `subnet`, else derived from `gateway`. */
  subnet?: string;
}

export interface NodeAddress {
  interface: string;
  cidr: string;
}

export interface NodeSpec {
  name: string;
  /** Physical NICs (veths cabled to switch ports; in the vlan variant the bond's ports). */
  nics: string[];
  /** VLAN ids allowed on this node's switch ports (default: all of the switch's). */
  trunk: number[];
  addresses: NodeAddress[];
  gateway?: string;
  host?: HostConfig;
}

export interface PodRef {
  namespace: string;
  name: string;
  /** Target this interface's address instead of the pod's first macvlan address. */
  iface?: string;
}

export interface Expectation {
  from: PodRef;
  to: PodRef;
  reachable: boolean;
  /** Field path in the Lab document, for messages. */
  path: (string | number)[];
}

/** Where an object came from, for error messages that point at the manifest and field. */
export interface Origin {
  file: string;
  /** 1-based index of the YAML document in the file. */
  doc: number;
  /** e.g. `Pod default/standalone-a` */
  object: string;
  /** 1-based line of the object's start. */
  line: number;
  /** Line of a field (path of keys), when the document has it. */
  lineOf(path: readonly (string | number)[]): number | undefined;
}

/** A Kubernetes manifest from the scenario, as parsed (plain JS) with its origin. */
export interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    uid?: string;
    annotations?: Record<string, string>;
    labels?: Record<string, string>;
  };
  spec?: Record<string, unknown>;
  raw: Record<string, unknown>;
  origin: Origin;
}

export interface Scenario {
  file: string;
  name: string;
  variant: Variant;
  vlans: VlanSpec[];
  routing: boolean;
  podCidr: string;
  serviceCidr?: string;
  nodes: NodeSpec[];
  expectations: Expectation[];
  manifests: Manifest[];
  /** The Lab document's origin. */
  origin: Origin;
}

/** A pod of the scenario, resolved: namespace names, node, what to call. */
export interface LabPod {
  namespace: string;
  name: string;
  uid: string;
  node: string;
  /** Network namespace name (tl-lab-pod-<name>). */
  netns: string;
  containerId: string;
}

export interface StepTiming {
  step: string;
  ms: number;
  ok: boolean;
  error?: string;
}

export interface PodIface {
  name: string;
  kind: string;
  mac: string;
  addrs: string[];
  /** VLAN the NIC sits on (macvlan NICs), when known. */
  vlan?: number;
  /** "ns/nad" this NIC came from (network-status). */
  network?: string;
  /** pool name → address, from the IPAM store. */
  pools?: Record<string, string>;
}

export interface PodReport {
  namespace: string;
  name: string;
  node: string;
  netns: string;
  ifaces: PodIface[];
  routes: string[];
  networkStatus: unknown[];
  /** Address the matrix pings, and the interface it is on. */
  target?: { iface: string; ip: string };
  /** pool name → addresses the pod holds in it. */
  allocations: { pool: string; ip: string; ifname: string }[];
}

export interface MatrixCell {
  from: string;
  to: string;
  target: string;
  ok: boolean;
  ms?: number;
  /** undefined when the scenario says nothing about this pair. */
  expected?: boolean;
}

export interface PoolReport {
  name: string;
  subnet: string;
  vlan?: number;
  usable: number;
  allocated: number;
  holders: { ip: string; pod: string; ifname: string }[];
}

export interface NodeReport {
  name: string;
  netns: string;
  links: {
    name: string;
    kind: string;
    master?: string;
    parent?: string;
    vlanId?: number;
    addrs: string[];
    up: boolean;
  }[];
}

export interface RunInfo {
  variant: Variant;
  /** "flat variant (host kernel, no 802.1q/bonding)" or "vlan variant (802.1q trunk + bond0)". */
  label: string;
  kernel: string;
  /** 'host' or 'vm' (the real-kernel VM runner). */
  where: 'host' | 'vm';
  /** How pods were attached: the meta plugin or the marked fallback. */
  attach: 'meta-plugin' | 'conflist-fallback';
  /** The shims forwarded to one agent per node (else every plugin call started Node.js). */
  agents: boolean;
  scenario: string;
  startedAt: string;
}

export interface LabReport {
  run: RunInfo;
  steps: StepTiming[];
  switch: {
    netns: string;
    vlans: VlanSpec[];
    routing: boolean;
    ports: { name: string; node: string; nic: string; vlans: number[] }[];
  };
  nodes: NodeReport[];
  pods: PodReport[];
  matrix: MatrixCell[];
  pools: PoolReport[];
  /** Pairs whose observed reachability differs from the expectation. */
  mismatches: MatrixCell[];
  /** Addresses not drawn from the pool the pod's annotation names. */
  poolViolations: string[];
  ok: boolean;
  /** Filled by a guest run that also tore down (VM): what `down` left behind. */
  down?: DownReport;
}

export interface DownReport {
  removedNamespaces: string[];
  podsDeleted: number;
  errors: string[];
  leftoverNamespaces: string[];
  leftoverAllocations: number;
  ms: number;
}
