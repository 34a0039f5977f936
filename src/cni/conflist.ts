// The runtime side of a network configuration list, as libcni runs it: ADD in order passing
// prevResult, DEL in reverse with the final result, CHECK with the final result, GC past errors.
import { type CniError, invalidConfig, toCniError } from './errors.js';
import { type DelegateEnv, execPlugin } from './exec.js';
import type { Registry } from './plugin.js';
import type { NetConf, NetConfList, Result } from './types.js';
import { decodeResult, encodeResult } from './version.js';

export interface RuntimeConf {
  containerId: string;
  netns: string;
  ifname: string;
  args?: string;
  /** Runtime capability arguments (mac, ips, portMappings …), given to plugins that declare them. */
  capabilityArgs?: Record<string, unknown>;
  path: string[];
  timeoutMs?: number;
  /** Run the plugins inside this namespace (path) rather than the caller's: one process, many nodes. */
  hostNetns?: string;
  /** Types run in-process (see exec.ts); without it every plugin is executed. */
  registry?: Registry;
}

function validateList(list: NetConfList): void {
  if (!list.name) throw invalidConfig('conflist has no "name"');
  if (!Array.isArray(list.plugins) || list.plugins.length === 0) {
    throw invalidConfig(`conflist "${list.name}" has no plugins`);
  }
  for (const [i, p] of list.plugins.entries()) {
    if (!p || typeof p.type !== 'string' || p.type === '')
      throw invalidConfig(`conflist "${list.name}" plugin ${i} has no "type"`);
  }
}

/** The config one plugin of the list receives (libcni's buildOneConfig). */
function pluginConf(list: NetConfList, p: NetConf, rt: RuntimeConf, prev: Result | undefined): NetConf {
  const conf: NetConf = { ...p, cniVersion: list.cniVersion, name: list.name };
  const caps = p.capabilities ?? {};
  const runtimeConfig: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(rt.capabilityArgs ?? {})) if (caps[k]) runtimeConfig[k] = v;
  if (Object.keys(runtimeConfig).length > 0) conf.runtimeConfig = runtimeConfig;
  if (prev) conf.prevResult = encodeResult(prev, list.cniVersion);
  return conf;
}

const denv = (command: DelegateEnv['command'], rt: RuntimeConf): DelegateEnv => ({
  command,
  containerId: rt.containerId,
  netns: rt.netns,
  ifname: rt.ifname,
  ...(rt.args !== undefined ? { args: rt.args } : {}),
  path: rt.path,
});

const opts = (rt: RuntimeConf) => ({
  ...(rt.timeoutMs !== undefined ? { timeoutMs: rt.timeoutMs } : {}),
  ...(rt.hostNetns !== undefined ? { hostNetns: rt.hostNetns } : {}),
  ...(rt.registry !== undefined ? { registry: rt.registry } : {}),
});

export async function addList(list: NetConfList, rt: RuntimeConf): Promise<Result> {
  validateList(list);
  let prev: Result | undefined;
  for (const p of list.plugins) {
    const out = await execPlugin(
      p.type,
      denv('ADD', rt),
      JSON.stringify(pluginConf(list, p, rt, prev)),
      opts(rt),
    );
    if (out !== undefined) prev = decodeResult(out, list.cniVersion);
  }
  return prev ?? { cniVersion: list.cniVersion };
}

export async function delList(list: NetConfList, rt: RuntimeConf, prevResult?: Result): Promise<void> {
  validateList(list);
  for (const p of [...list.plugins].reverse()) {
    await execPlugin(p.type, denv('DEL', rt), JSON.stringify(pluginConf(list, p, rt, prevResult)), opts(rt));
  }
}

export async function checkList(list: NetConfList, rt: RuntimeConf, prevResult: Result): Promise<void> {
  validateList(list);
  if (list.disableCheck) return;
  for (const p of list.plugins) {
    await execPlugin(
      p.type,
      denv('CHECK', rt),
      JSON.stringify(pluginConf(list, p, rt, prevResult)),
      opts(rt),
    );
  }
}

export async function statusList(list: NetConfList, path: string[], registry?: Registry): Promise<void> {
  validateList(list);
  for (const p of list.plugins) {
    const conf = pluginConf(list, p, { containerId: '', netns: '', ifname: '', path }, undefined);
    await execPlugin(p.type, { command: 'STATUS', path }, JSON.stringify(conf), { registry });
  }
}

/** GC continues past errors and reports the first one at the end. */
export async function gcList(
  list: NetConfList,
  path: string[],
  validAttachments: { containerID: string; ifname: string }[],
  extra: Record<string, unknown> = {},
  registry?: Registry,
): Promise<void> {
  validateList(list);
  if (list.disableGC) return;
  let first: CniError | undefined;
  for (const p of list.plugins) {
    const conf = {
      ...pluginConf(list, p, { containerId: '', netns: '', ifname: '', path }, undefined),
      'cni.dev/valid-attachments': validAttachments,
      'cni.dev/attachments': validAttachments,
      ...extra,
    };
    try {
      await execPlugin(p.type, { command: 'GC', path }, JSON.stringify(conf), { registry });
    } catch (e) {
      first ??= toCniError(e);
    }
  }
  if (first) throw first;
}
