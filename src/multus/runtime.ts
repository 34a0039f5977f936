// What a delegate is invoked with besides its config: capability args (runtimeConfig), CNI_ARGS,
// and its single-conf stdin. Conflists get their capability args through src/cni/conflist.ts.
import type { RuntimeConfig } from '../cni/types.js';
import type { Delegate } from './delegates.js';
import { cniDeviceInfoPath } from './devices.js';
import { withRuntimeConfig } from './nad.js';

/** Where per-attachment device-info files go, and for which container. */
export interface DeviceInfoContext {
  dir: string;
  containerId: string;
}

type Rec = Record<string, unknown>;

/**
 * Multus's mergeCNIRuntimeConfig: the runtime's own runtimeConfig for everyone, plus the
 * annotation requests for non-master delegates (the master keeps exactly what the runtime asked).
 */
export function capabilityArgs(
  d: Delegate,
  parent: RuntimeConfig | undefined,
  devinfo?: DeviceInfoContext,
): Rec {
  const out = requestArgs(d, parent);
  // Multus generates a CNIDeviceInfoFile for every delegate that ends up with a deviceID.
  if (devinfo !== undefined && typeof out.deviceID === 'string' && out.deviceID !== '') {
    out.CNIDeviceInfoFile = cniDeviceInfoPath(devinfo.dir, d.name, devinfo.containerId, d.ifname);
  }
  return out;
}

/** The CNIDeviceInfoFile a delegate is given, if any. */
export function deviceInfoFileOf(
  d: Delegate,
  parent: RuntimeConfig | undefined,
  devinfo: DeviceInfoContext | undefined,
): string | undefined {
  const f = capabilityArgs(d, parent, devinfo).CNIDeviceInfoFile;
  return typeof f === 'string' ? f : undefined;
}

function requestArgs(d: Delegate, parent: RuntimeConfig | undefined): Rec {
  const out: Rec = { ...(parent ?? {}) };
  if (d.master) return out;
  const r = d.request;
  if (r.portMappings !== undefined && r.portMappings.length > 0) out.portMappings = r.portMappings;
  if (r.bandwidth !== undefined) out.bandwidth = r.bandwidth;
  if (r.ips !== undefined && r.ips.length > 0) out.ips = r.ips;
  if (r.mac !== undefined) out.mac = r.mac;
  if (r.infinibandGuid !== undefined) out.infinibandGUID = r.infinibandGuid;
  // A device the kubelet allocated for the NAD's resourceName wins over the annotation's deviceID.
  const deviceID = d.deviceID ?? r.deviceID;
  if (deviceID !== undefined) out.deviceID = deviceID;
  return out;
}

/** The stdin of a single-conf delegate: its config with the runtimeConfig its capabilities allow. */
export function singleConfStdin(
  d: Delegate,
  parent: RuntimeConfig | undefined,
  devinfo?: DeviceInfoContext,
): Rec {
  return withRuntimeConfig(d.config, capabilityArgs(d, parent, devinfo));
}

/**
 * CNI_ARGS for a delegate: the caller's, with IgnoreUnknown=true first and Multus's deprecated
 * MAC= / IP= requests appended (static IPAM and macvlan read them).
 */
export function delegateArgs(d: Delegate, raw: string): string {
  const pairs = raw.split(';').filter((p) => p !== '' && !p.startsWith('IgnoreUnknown='));
  const out = ['IgnoreUnknown=true', ...pairs];
  if (d.request.mac !== undefined) out.push(`MAC=${d.request.mac}`);
  if (d.request.ips !== undefined && d.request.ips.length > 0) out.push(`IP=${d.request.ips.join(',')}`);
  return out.join(';');
}
