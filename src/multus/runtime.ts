// What a delegate is invoked with besides its config: capability args (runtimeConfig), CNI_ARGS,
// and its single-conf stdin. Conflists get their capability args through src/cni/conflist.ts.
import type { RuntimeConfig } from '../cni/types.js';
import type { Delegate } from './delegates.js';
import { withRuntimeConfig } from './nad.js';

type Rec = Record<string, unknown>;

/**
 * Multus's mergeCNIRuntimeConfig: the runtime's own runtimeConfig for everyone, plus the
 * annotation requests for non-master delegates (the master keeps exactly what the runtime asked).
 */
export function capabilityArgs(d: Delegate, parent: RuntimeConfig | undefined): Rec {
  const out: Rec = { ...(parent ?? {}) };
  if (d.master) return out;
  const r = d.request;
  if (r.portMappings !== undefined && r.portMappings.length > 0) out.portMappings = r.portMappings;
  if (r.bandwidth !== undefined) out.bandwidth = r.bandwidth;
  if (r.ips !== undefined && r.ips.length > 0) out.ips = r.ips;
  if (r.mac !== undefined) out.mac = r.mac;
  if (r.infinibandGuid !== undefined) out.infinibandGUID = r.infinibandGuid;
  if (r.deviceID !== undefined) out.deviceID = r.deviceID;
  return out;
}

/** The stdin of a single-conf delegate: its config with the runtimeConfig its capabilities allow. */
export function singleConfStdin(d: Delegate, parent: RuntimeConfig | undefined): Rec {
  return withRuntimeConfig(d.config, capabilityArgs(d, parent));
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
