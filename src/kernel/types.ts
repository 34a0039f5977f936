// The kernel layer: everything plugins need from the network stack, behind one interface so a
// native netlink backend can replace iproute2 without touching plugins.

/** A network namespace addressed by path: /var/run/netns/NAME, /proc/PID/ns/net, or null = the caller's own. */
export type NetnsRef = string | null;

export type MacvlanMode = 'bridge' | 'private' | 'vepa' | 'passthru' | 'source';
export type BondMode =
  | 'balance-rr'
  | 'active-backup'
  | 'balance-xor'
  | 'broadcast'
  | '802.3ad'
  | 'balance-tlb'
  | 'balance-alb';

export interface Link {
  index: number;
  name: string;
  /** 'macvlan' | 'veth' | 'bridge' | 'vlan' | 'bond' | 'loopback' | 'ether' (plain device) | … */
  kind: string;
  mac: string;
  mtu: number;
  up: boolean; // administratively up (IFF_UP)
  operState: string; // 'UP' | 'DOWN' | 'UNKNOWN' | 'LOWERLAYERDOWN' …
  master?: string; // name of the bond/bridge this link is enslaved to
  parentIndex?: number; // link@parent (macvlan/vlan lower device or veth peer index)
  parent?: string; // lower device name, when in the same namespace
  macvlanMode?: MacvlanMode;
  vlanId?: number;
  vlanProtocol?: '802.1Q' | '802.1ad';
  bondMode?: BondMode;
  bondOptions?: Record<string, string>;
  txQueueLen?: number;
}

export interface Address {
  ifname: string;
  family: 4 | 6;
  /** CIDR, e.g. 10.0.0.5/24 */
  cidr: string;
  scope: string; // 'global' | 'link' | 'host'
  tentative?: boolean;
  dadFailed?: boolean;
}

export interface Route {
  family: 4 | 6;
  dst: string; // CIDR; 'default' is normalised to 0.0.0.0/0 or ::/0
  gw?: string;
  dev?: string;
  table?: number; // undefined = main
  metric?: number;
  scope?: string; // 'link' | 'host' | 'global'
  src?: string;
  proto?: string;
  mtu?: number;
  advmss?: number;
  type?: string; // 'unicast' | 'local' | 'broadcast' …
  onlink?: boolean; // gateway reachable on dev without a covering subnet route
}

export interface Rule {
  family: 4 | 6;
  priority?: number;
  from?: string; // CIDR or 'all'
  to?: string;
  iif?: string;
  oif?: string;
  fwmark?: string;
  table: number;
}

export interface Neighbour {
  family: 4 | 6;
  ip: string;
  mac: string;
  dev: string;
  state?: string; // 'PERMANENT' | 'REACHABLE' …
}

export type NewLink =
  | {
      kind: 'macvlan';
      name: string;
      master: string;
      mode: MacvlanMode;
      mac?: string;
      mtu?: number;
      netns?: NetnsRef;
    }
  | {
      kind: 'veth';
      name: string;
      peer: string;
      peerNetns?: NetnsRef;
      mac?: string;
      peerMac?: string;
      mtu?: number;
    }
  | { kind: 'bridge'; name: string; vlanFiltering?: boolean; mtu?: number }
  | { kind: 'vlan'; name: string; master: string; id: number; protocol?: '802.1Q' | '802.1ad'; mtu?: number }
  | { kind: 'bond'; name: string; mode: BondMode; options?: Record<string, string>; mtu?: number };

export interface LinkChange {
  name?: string; // rename
  mac?: string;
  mtu?: number;
  up?: boolean;
  master?: string | null; // null = nomaster
  netns?: NetnsRef; // move to namespace (by path)
  txQueueLen?: number;
  /** bond only: `ip link set NAME type bond K V …` (mode changes need the bond down and without ports). */
  bondOptions?: Record<string, string>;
}

/**
 * All operations take the namespace first. Errors are typed (see errors.ts): LinkNotFound,
 * NetnsNotFound, Exists, KernelError.
 */
export interface Kernel {
  /** Throws NetnsNotFound if the path does not name a network namespace. */
  checkNetns(ns: NetnsRef): Promise<void>;

  listLinks(ns: NetnsRef): Promise<Link[]>;
  getLink(ns: NetnsRef, name: string): Promise<Link>; // throws LinkNotFound
  findLink(ns: NetnsRef, name: string): Promise<Link | undefined>;
  createLink(ns: NetnsRef, spec: NewLink): Promise<void>; // throws Exists
  deleteLink(ns: NetnsRef, name: string): Promise<void>; // throws LinkNotFound
  setLink(ns: NetnsRef, name: string, change: LinkChange): Promise<void>;

  listAddrs(ns: NetnsRef, ifname?: string): Promise<Address[]>;
  addAddr(ns: NetnsRef, ifname: string, cidr: string, opts?: { noDad?: boolean }): Promise<void>;
  delAddr(ns: NetnsRef, ifname: string, cidr: string): Promise<void>;

  listRoutes(ns: NetnsRef, opts?: { family?: 4 | 6; table?: number | 'all' }): Promise<Route[]>;
  addRoute(ns: NetnsRef, route: Route): Promise<void>; // 'replace' semantics are opt-in via replaceRoute
  replaceRoute(ns: NetnsRef, route: Route): Promise<void>;
  delRoute(ns: NetnsRef, route: Route): Promise<void>;

  listRules(ns: NetnsRef, family: 4 | 6): Promise<Rule[]>;
  addRule(ns: NetnsRef, rule: Rule): Promise<void>;
  delRule(ns: NetnsRef, rule: Rule): Promise<void>;

  listNeighbours(ns: NetnsRef, ifname?: string): Promise<Neighbour[]>;
  setNeighbour(ns: NetnsRef, n: Neighbour): Promise<void>; // replace semantics

  /** key in dotted-or-slashed form: 'net/ipv4/conf/eth0/arp_notify' or 'net.ipv4.ip_forward'. */
  sysctlGet(ns: NetnsRef, key: string): Promise<string>;
  sysctlSet(ns: NetnsRef, key: string, value: string): Promise<void>;

  /**
   * Run several mutating operations in one round trip where the backend can (ip -batch), in order.
   * Not atomic: on failure the operations before the failing one stay applied.
   */
  batch(ns: NetnsRef, ops: BatchOp[]): Promise<void>;
}

export type BatchOp =
  | { op: 'addAddr'; ifname: string; cidr: string; noDad?: boolean }
  | { op: 'setLink'; name: string; change: LinkChange }
  /** append: add beside an existing route to the same destination (NLM_F_APPEND), as the reference plugins do. */
  | { op: 'addRoute'; route: Route; append?: boolean }
  | { op: 'replaceRoute'; route: Route }
  | { op: 'delRoute'; route: Route }
  | { op: 'delAddr'; ifname: string; cidr: string }
  | { op: 'addRule'; rule: Rule }
  | { op: 'delRule'; rule: Rule }
  | { op: 'setNeighbour'; n: Neighbour }
  /** Ordered with the rest: e.g. disable_ipv6=0 before adding IPv6 addresses. */
  | { op: 'sysctl'; key: string; value: string };
