// Wire types of the CNI protocol (spec 0.1.0 … 1.1.0). Field names follow the spec exactly.

export const SUPPORTED_VERSIONS = ['0.1.0', '0.2.0', '0.3.0', '0.3.1', '0.4.0', '1.0.0', '1.1.0'] as const;
type CniVersion = (typeof SUPPORTED_VERSIONS)[number];
export const CURRENT_VERSION: CniVersion = '1.1.0';

export type CniCommand = 'ADD' | 'DEL' | 'CHECK' | 'VERSION' | 'STATUS' | 'GC';

/** Parsed invocation environment (CNI_* variables). */
export interface CniEnv {
  command: CniCommand;
  containerId: string; // '' when not required (VERSION/STATUS/GC)
  netns: string; // '' when absent (allowed for DEL)
  ifname: string;
  args: CniArgs;
  path: string[]; // CNI_PATH split on ':'
}

/** CNI_ARGS as ordered key/value pairs; see args.ts for IgnoreUnknown semantics. */
export interface CniArgs {
  readonly raw: string;
  readonly pairs: ReadonlyArray<readonly [string, string]>;
  get(key: string): string | undefined;
}

export interface Dns {
  nameservers?: string[];
  domain?: string;
  search?: string[];
  options?: string[];
}

export interface Interface {
  name: string;
  mac?: string;
  mtu?: number;
  sandbox?: string;
  socketPath?: string;
  pciID?: string;
}

export interface IpConfig {
  address: string; // CIDR
  gateway?: string;
  interface?: number;
}

export interface Route {
  dst: string;
  gw?: string;
  mtu?: number;
  advmss?: number;
  priority?: number;
  table?: number;
  scope?: number;
}

/** Canonical in-memory result: the 1.x shape. Converted at the edges (see version.ts). */
export interface Result {
  cniVersion: string;
  interfaces?: Interface[];
  ips?: IpConfig[];
  routes?: Route[];
  dns?: Dns;
}

interface IpamConf {
  type: string;
  [key: string]: unknown;
}

/** Common network configuration fields; plugins extend this with their own. */
export interface NetConf {
  cniVersion: string;
  name: string;
  type: string;
  ipam?: IpamConf;
  dns?: Dns;
  capabilities?: Record<string, boolean>;
  runtimeConfig?: RuntimeConfig;
  args?: { cni?: Record<string, unknown>; [key: string]: unknown };
  prevResult?: unknown; // raw, in the config's cniVersion; decode with version.ts
  'cni.dev/valid-attachments'?: Attachment[];
  'cni.dev/attachments'?: Attachment[];
  [key: string]: unknown;
}

export interface RuntimeConfig {
  mac?: string;
  ips?: string[];
  portMappings?: unknown[];
  bandwidth?: unknown;
  ipRanges?: unknown[];
  dns?: Dns;
  deviceID?: string;
  [key: string]: unknown;
}

/**
 * Trunkline's GC extension: release only this container's allocations (the meta plugin's DEL
 * fallback, which unlike a runtime's GC runs concurrently with ADDs). Unknown to other plugins.
 */
export const RELEASE_CONTAINER = 'trunkline.io/release-container';

export interface Attachment {
  containerID: string;
  ifname: string;
}

export interface NetConfList {
  cniVersion: string;
  cniVersions?: string[];
  name: string;
  disableCheck?: boolean;
  disableGC?: boolean;
  plugins: NetConf[];
}
