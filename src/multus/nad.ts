// NetworkAttachmentDefinition resolution (network-attachment-definition-client's GetCNIConfig and
// Multus's LoadDelegateNetConf): spec.config as conf or conflist, name injection, the confDir
// fallback for an empty spec, namespace isolation, and the runtime capabilities a delegate receives.

import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ClusterSource, NetworkAttachmentDefinition } from '../cluster/types.js';
import { assertShallow } from '../cni/conf.js';
import { CniError, Code, causedBy, invalidConfig } from '../cni/errors.js';
import type { MultusConf } from './config.js';
import { RESOURCE_NAME_ANNOTATION } from './devices.js';
import { isRecord } from './record.js';

export const NETWORK_MODE_ANNOTATION = 'trunkline.io/network-mode';
export const COORDINATOR_TYPE = 'trunkline-coordinator';

type Rec = Record<string, unknown>;

/** A network's CNI configuration, ready to become a delegate. */
export interface ResolvedNetwork {
  /** "namespace/name" for NADs (the network-status name); the CNI name for files and inline configs. */
  name: string;
  /** The CNI conf or conflist object, name injected. */
  config: Rec;
  isList: boolean;
  /** Marked overlay by NAD annotation or by a coordinator in overlay mode in its chain. */
  overlay: boolean;
  /** For messages: "NetworkAttachmentDefinition ns/name" or "file /path". */
  origin: string;
  /** The NAD's k8s.v1.cni.cncf.io/resourceName (device-plugin resource), if any. */
  resourceName?: string;
}

/** Multus's minimal validation: a conf needs `type`, otherwise a conflist whose first plugin has one. */
export function checkDelegateConfig(config: unknown, origin: string): { config: Rec; isList: boolean } {
  if (!isRecord(config))
    throw invalidConfig(`${origin}: CNI config must be a JSON object, found ${JSON.stringify(config)}`);
  if (typeof config.type === 'string' && config.type !== '') return { config, isList: false };
  if (config.type !== undefined && config.type !== '') {
    throw invalidConfig(`${origin}: "type" must be a string, found ${JSON.stringify(config.type)}`);
  }
  const plugins = config.plugins;
  if (!Array.isArray(plugins) || plugins.length === 0) {
    throw invalidConfig(`${origin}: CNI config has neither "type" nor a non-empty "plugins" list`);
  }
  for (const [i, p] of plugins.entries()) {
    if (!isRecord(p) || typeof p.type !== 'string' || p.type === '') {
      throw invalidConfig(`${origin}: plugin ${i} of the conflist has no "type"`);
    }
  }
  return { config, isList: true };
}

function parseJsonText(text: string, origin: string): unknown {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (err) {
    throw causedBy(Code.InvalidConfig, `${origin}: CNI config is not valid JSON`, err);
  }
  assertShallow(text, `${origin}: CNI config`);
  return v;
}

/** A NAD's spec.config, name injected when missing; undefined for an empty spec. */
export function configFromSpec(
  nad: NetworkAttachmentDefinition,
): { config: Rec; isList: boolean } | undefined {
  const text = nad.spec?.config;
  if (text === undefined || text.trim() === '') return undefined;
  const origin = `NetworkAttachmentDefinition ${nad.metadata.namespace}/${nad.metadata.name}`;
  const parsed = parseJsonText(text, origin);
  if (isRecord(parsed) && (parsed.name === undefined || parsed.name === '')) parsed.name = nad.metadata.name;
  return checkDelegateConfig(parsed, origin);
}

const CONF_EXT = ['.conf', '.json', '.conflist'];

/** The first file in confDir (name order, as libcni lists them) whose CNI name is `name`. */
export async function configFromDir(
  confDir: string,
  name: string,
): Promise<{ config: Rec; isList: boolean; file: string } | undefined> {
  let files: string[];
  try {
    files = (await readdir(confDir)).filter((f) => CONF_EXT.some((e) => f.endsWith(e))).sort();
  } catch {
    return undefined;
  }
  for (const f of files) {
    const file = join(confDir, f);
    let parsed: unknown;
    try {
      parsed = JSON.parse(await readFile(file, 'utf8'));
    } catch {
      continue; // an unreadable neighbour must not hide the file we are looking for
    }
    if (!isRecord(parsed) || parsed.name !== name) continue;
    if (!f.endsWith('.conflist') && (typeof parsed.type !== 'string' || parsed.type === '')) {
      throw invalidConfig(`file ${file}: CNI config "${name}" has no "type"; perhaps this is a .conflist?`);
    }
    return { ...checkDelegateConfig(parsed, `file ${file}`), file };
  }
  return undefined;
}

/** A conf or conflist file given by path (clusterNetwork / defaultNetworks entries containing '/'). */
export async function configFromPath(path: string): Promise<ResolvedNetwork> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e.code !== 'EISDIR') throw causedBy(Code.InvalidConfig, `cannot read CNI config ${path}`, e);
    const files = (await readdir(path)).filter((f) => CONF_EXT.some((x) => f.endsWith(x))).sort();
    const first = files[0];
    if (first === undefined)
      throw invalidConfig(`no CNI config (.conf, .json, .conflist) found in directory ${path}`);
    return configFromPath(join(path, first));
  }
  const { config, isList } = checkDelegateConfig(parseJsonText(text, `file ${path}`), `file ${path}`);
  const name = typeof config.name === 'string' ? config.name : path;
  return { name, config, isList, overlay: chainIsOverlay(config), origin: `file ${path}` };
}

function chainIsOverlay(config: Rec): boolean {
  const plugins = Array.isArray(config.plugins) ? config.plugins : [config];
  return plugins.some((p) => isRecord(p) && p.type === COORDINATOR_TYPE && p.mode === 'overlay');
}

/** Overlay networks (macvlan-overlay): the coordinator runs in overlay mode or the NAD says so. */
export function isOverlayNetwork(network: { overlay?: boolean; config: Rec }): boolean {
  return network.overlay === true || chainIsOverlay(network.config);
}

/** Pods may reference NADs only in their own namespace or a global one when isolation is on. */
export function checkNamespaceIsolation(
  conf: MultusConf,
  podNamespace: string,
  target: string,
  pod?: string,
): void {
  if (!conf.namespaceIsolation || podNamespace === target) return;
  if (conf.nonIsolatedNamespaces.includes(target)) return;
  throw invalidConfig(
    `namespace isolation: pod ${pod ?? podNamespace} in namespace "${podNamespace}" may not use networks of namespace "${target}" (allowed: "${podNamespace}", ${conf.nonIsolatedNamespaces.map((n) => `"${n}"`).join(', ')})`,
  );
}

/** Resolve a NAD; an empty spec falls back to the confDir file carrying the NAD's name. */
/** The caller reports it to the pod (Multus's NoNetworkFound event). */
export class NadNotFoundError extends CniError {
  constructor(
    readonly nadNamespace: string,
    readonly nadName: string,
  ) {
    super(Code.InvalidConfig, `cannot find NetworkAttachmentDefinition ${nadNamespace}/${nadName}`);
    this.name = 'NadNotFoundError';
  }
}

export async function resolveNad(
  source: ClusterSource,
  namespace: string,
  name: string,
  confDir: string,
): Promise<ResolvedNetwork> {
  const nad = await source.getNetworkAttachmentDefinition(namespace, name);
  if (nad === undefined) throw new NadNotFoundError(namespace, name);
  const origin = `NetworkAttachmentDefinition ${namespace}/${name}`;
  let resolved = configFromSpec(nad);
  if (resolved === undefined) {
    const found = await configFromDir(confDir, name);
    if (found === undefined) {
      throw invalidConfig(
        `${origin} has an empty spec and no CNI config named "${name}" exists in ${confDir}`,
      );
    }
    resolved = found;
  }
  const marked = nad.metadata.annotations?.[NETWORK_MODE_ANNOTATION] === 'overlay';
  const resourceName = nad.metadata.annotations?.[RESOURCE_NAME_ANNOTATION];
  return {
    name: `${namespace}/${name}`,
    config: resolved.config,
    isList: resolved.isList,
    overlay: marked || chainIsOverlay(resolved.config),
    origin,
    ...(resourceName !== undefined && resourceName !== '' ? { resourceName } : {}),
  };
}

function injectArgs(conf: Rec, cniArgs: Rec): Rec {
  const args = isRecord(conf.args) ? conf.args : {};
  const existing = isRecord(args.cni) ? args.cni : {};
  return { ...conf, args: { ...args, cni: { ...existing, ...cniArgs } } };
}

/** Annotation `cni-args` merged into `args.cni` (annotation wins), for every plugin of a conflist. */
export function injectCniArgs(config: Rec, isList: boolean, cniArgs: Rec): Rec {
  if (!isList) return injectArgs(config, cniArgs);
  const plugins = (config.plugins as Rec[]).map((p) => injectArgs(p, cniArgs));
  return { ...config, plugins };
}

/** What one plugin receives as runtimeConfig: the capability args it declares (libcni's rule). */
export function withRuntimeConfig(conf: Rec, capabilityArgs: Rec): Rec {
  const caps = isRecord(conf.capabilities) ? conf.capabilities : {};
  const rc: Rec = {};
  for (const [k, v] of Object.entries(capabilityArgs)) if (caps[k] === true) rc[k] = v;
  if (Object.keys(rc).length === 0) return conf;
  return { ...conf, runtimeConfig: rc };
}
