// Running one delegate with the CNI protocol: a single conf through execPlugin, a conflist through
// the conflist runner. Each gets its own CNI_IFNAME, CNI_ARGS and capability args.
import { addList, checkList, delList, gcList, type RuntimeConf, statusList } from '../../cni/conflist.js';
import { CniError, Code } from '../../cni/errors.js';
import { type DelegateEnv, execPlugin } from '../../cni/exec.js';
import type { Registry } from '../../cni/plugin.js';
import type { Attachment, NetConfList, Result, RuntimeConfig } from '../../cni/types.js';
import { compareVersions, decodeResult, encodeResult } from '../../cni/version.js';
import type { Delegate } from '../../multus/delegates.js';
import { cleanDeviceInfo } from '../../multus/devices.js';
import {
  capabilityArgs,
  type DeviceInfoContext,
  delegateArgs,
  deviceInfoFileOf,
  singleConfStdin,
} from '../../multus/runtime.js';

/** The container a delegate acts on, plus where plugins are found. */
export interface Target {
  containerId: string;
  netns: string;
  /** The caller's CNI_ARGS; each delegate gets them with its own additions. */
  args: string;
  path: string[];
  runtimeConfig: RuntimeConfig | undefined;
  /** Base directory of the device-info files (CNIDeviceInfoFile). */
  deviceInfoDir?: string;
  /** Delegate types run in-process (the call's registry). */
  registry: Registry;
}

const devinfoOf = (t: Target): DeviceInfoContext | undefined =>
  t.deviceInfoDir !== undefined ? { dir: t.deviceInfoDir, containerId: t.containerId } : undefined;

const versionOf = (d: Delegate) => String(d.config.cniVersion ?? '0.1.0');
export const supports = (d: Delegate, min: string) => compareVersions(versionOf(d), min) >= 0;

function rt(t: Target, d: Delegate): RuntimeConf {
  return {
    containerId: t.containerId,
    netns: t.netns,
    ifname: d.ifname,
    args: delegateArgs(d, t.args),
    capabilityArgs: capabilityArgs(d, t.runtimeConfig, devinfoOf(t)),
    path: t.path,
    registry: t.registry,
  };
}

function env(command: DelegateEnv['command'], t: Target, d: Delegate): DelegateEnv {
  return {
    command,
    containerId: t.containerId,
    netns: t.netns,
    ifname: d.ifname,
    args: delegateArgs(d, t.args),
    path: t.path,
  };
}

function stdin(t: Target, d: Delegate, prev: Result | undefined): string {
  const conf = singleConfStdin(d, t.runtimeConfig, devinfoOf(t));
  return JSON.stringify(
    prev !== undefined ? { ...conf, prevResult: encodeResult(prev, versionOf(d)) } : conf,
  );
}

const list = (d: Delegate) => d.config as unknown as NetConfList;
const type = (d: Delegate) => String(d.config.type);

export async function addDelegate(t: Target, d: Delegate): Promise<Result> {
  if (d.isList) return addList(list(d), rt(t, d));
  const out = await execPlugin(type(d), env('ADD', t, d), stdin(t, d, undefined), t);
  if (out === undefined) throw new CniError(Code.Internal, `plugin ${type(d)} returned no result for ADD`);
  return decodeResult(out, versionOf(d));
}

export async function delDelegate(t: Target, d: Delegate, prev: Result | undefined): Promise<void> {
  const usePrev = prev !== undefined && supports(d, '0.4.0') ? prev : undefined;
  const info = deviceInfoFileOf(d, t.runtimeConfig, devinfoOf(t));
  try {
    if (d.isList) return await delList(list(d), rt(t, d), usePrev);
    await execPlugin(type(d), env('DEL', t, d), stdin(t, d, usePrev), t);
  } finally {
    // Multus removes the attachment's device-info file whether or not the delegate's DEL worked.
    if (info !== undefined) cleanDeviceInfo(info);
  }
}

export async function checkDelegate(t: Target, d: Delegate, prev: Result): Promise<void> {
  if (d.isList) return checkList(list(d), rt(t, d), prev);
  await execPlugin(type(d), env('CHECK', t, d), stdin(t, d, prev), t);
}

export async function statusDelegate(path: string[], d: Delegate, registry: Registry): Promise<void> {
  if (d.isList) return statusList(list(d), path, registry);
  await execPlugin(type(d), { command: 'STATUS', path }, JSON.stringify(d.config), { registry });
}

export async function gcDelegate(
  path: string[],
  d: Delegate,
  valid: Attachment[],
  extra: Record<string, unknown>,
  registry: Registry,
): Promise<void> {
  if (d.isList) return gcList(list(d), path, valid, extra, registry);
  const conf = { ...d.config, 'cni.dev/valid-attachments': valid, 'cni.dev/attachments': valid, ...extra };
  await execPlugin(type(d), { command: 'GC', path }, JSON.stringify(conf), { registry });
}
