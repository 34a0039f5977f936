// Device-plugin devices as Multus hands them to delegates: the IDs the kubelet allocated to the pod
// for a NAD's `k8s.v1.cni.cncf.io/resourceName` (read from the kubelet's device-plugin checkpoint,
// as Multus's pkg/checkpoint does), and the device-info files of the NPWG device-info spec that
// network-attachment-definition-client keeps under <dir>/dp (written by device plugins) and
// <dir>/cni (one per attachment, passed to the delegate as CNIDeviceInfoFile).
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { errorText, invalidConfig } from '../cni/errors.js';
import { isRecord } from './record.js';

export const RESOURCE_NAME_ANNOTATION = 'k8s.v1.cni.cncf.io/resourceName';

/** resourceName → the pod's device IDs, sorted (Multus's SortDeviceIDs). */
export type ResourceMap = Map<string, string[]>;

/**
 * The pod's entries of the kubelet checkpoint: `Data.PodDeviceEntries[]` with PodUID, ResourceName
 * and DeviceIDs, either a list or (kubelet >= 1.20) a map from NUMA node to list.
 */
export function readCheckpoint(file: string, podUid: string): ResourceMap {
  if (podUid === '') throw invalidConfig('cannot look up device-plugin devices: the pod has no UID');
  let doc: unknown;
  try {
    doc = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw invalidConfig(
      `cannot read the kubelet device-plugin checkpoint ${file}: ${errorText(err)}`,
      undefined,
      {
        cause: err,
      },
    );
  }
  const data = isRecord(doc) && isRecord(doc.Data) ? doc.Data : undefined;
  const entries = data !== undefined && Array.isArray(data.PodDeviceEntries) ? data.PodDeviceEntries : [];
  const out: ResourceMap = new Map();
  for (const e of entries) {
    if (!isRecord(e) || e.PodUID !== podUid || typeof e.ResourceName !== 'string') continue;
    const ids = out.get(e.ResourceName) ?? [];
    const raw = e.DeviceIDs;
    const lists = Array.isArray(raw) ? [raw] : isRecord(raw) ? Object.values(raw) : [];
    for (const l of lists) if (Array.isArray(l)) ids.push(...l.filter((x) => typeof x === 'string'));
    out.set(e.ResourceName, ids);
  }
  for (const ids of out.values()) ids.sort();
  return out;
}

const dash = (s: string) => s.replaceAll('/', '-');

/** Where a device plugin leaves the info of one device (GetDPDeviceInfoPath). */
export function dpDeviceInfoPath(dir: string, resourceName: string, deviceID: string): string {
  return join(dir, 'dp', `${dash(resourceName)}-${dash(deviceID)}-device.json`);
}

/** The per-attachment file (Multus names it "<network>-<containerID>_<ifname>"). */
export function cniDeviceInfoPath(dir: string, network: string, containerId: string, ifname: string): string {
  return join(dir, 'cni', dash(`${network}-${containerId}_${ifname}`));
}

/** CopyDeviceInfoForCNIFromDP: best effort, as in Multus (a missing DP file is normal). */
export function copyDpDeviceInfo(dpFile: string, cniFile: string): void {
  if (!existsSync(dpFile) || existsSync(cniFile)) return;
  mkdirSync(join(cniFile, '..'), { recursive: true });
  copyFileSync(dpFile, cniFile);
}

/** The file's JSON content, or undefined when it is absent or unreadable (Multus ignores both). */
export function loadDeviceInfo(file: string): unknown {
  try {
    const v: unknown = JSON.parse(readFileSync(file, 'utf8'));
    return isRecord(v) ? v : undefined;
  } catch {
    return undefined;
  }
}

export function cleanDeviceInfo(file: string): void {
  rmSync(file, { force: true });
}
