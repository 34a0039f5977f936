// The networks every pod gets before its own annotation's: the cluster network (a path, a NAD in
// multusNamespace or a confDir name; or the inline delegates; or the pod's default-network override)
// and defaultNetworks, as Multus resolves them.
import type { ClusterSource, PodInfo } from '../cluster/types.js';
import { errorText, invalidConfig } from '../cni/errors.js';
import { DEFAULT_NETWORK_ANNOTATION, parseDefaultNetworkAnnotation } from './annotations.js';
import type { MultusConf } from './config.js';
import { fromSelection, type Pending } from './delegate-types.js';
import {
  checkDelegateConfig,
  configFromDir,
  configFromPath,
  type ResolvedNetwork,
  resolveNad,
} from './nad.js';

type Rec = Record<string, unknown>;

/** clusterNetwork / defaultNetworks entry: a path, else a NAD in multusNamespace, else a confDir name. */
export async function resolveNetworkRef(
  conf: MultusConf,
  source: ClusterSource,
  ref: string,
): Promise<ResolvedNetwork> {
  if (ref.includes('/')) return configFromPath(ref);
  try {
    return await resolveNad(source, conf.multusNamespace, ref, conf.confDir);
  } catch (nadErr) {
    const file = await configFromDir(conf.confDir, ref);
    if (file === undefined) {
      throw invalidConfig(
        `cannot find network "${ref}": no usable NetworkAttachmentDefinition ${conf.multusNamespace}/${ref} (${errorText(nadErr)}) and no CNI config named "${ref}" in ${conf.confDir}`,
        undefined,
        { cause: nadErr },
      );
    }
    const name = typeof file.config.name === 'string' ? file.config.name : ref;
    return { name, config: file.config, isList: file.isList, overlay: false, origin: `file ${file.file}` };
  }
}

function inlineDelegate(raw: Rec, i: number): ResolvedNetwork {
  const { config, isList } = checkDelegateConfig(raw, `meta plugin config: delegates[${i}]`);
  const name = typeof config.name === 'string' ? config.name : `delegates[${i}]`;
  return { name, config, isList, overlay: false, origin: `meta plugin config delegates[${i}]` };
}

/** The cluster network (or the pod's override) and, outside system namespaces, defaultNetworks. */
export async function baseNetworks(
  conf: MultusConf,
  source: ClusterSource,
  pod: PodInfo | undefined,
  podId: string | undefined,
): Promise<Pending[]> {
  const base: Pending[] = [];
  const override = pod?.metadata.annotations?.[DEFAULT_NETWORK_ANNOTATION];
  if (override !== undefined) {
    const sel = parseDefaultNetworkAnnotation(override, conf.multusNamespace, podId);
    base.push(fromSelection(await resolveNad(source, sel.namespace, sel.name, conf.confDir), sel, true));
  } else if (conf.clusterNetwork !== undefined) {
    base.push({ net: await resolveNetworkRef(conf, source, conf.clusterNetwork), master: true, request: {} });
  }
  // Inline delegates play the cluster network's role when there is no clusterNetwork;
  // an override replaces only the first of them, as in Multus.
  if (conf.clusterNetwork === undefined) {
    for (const [i, raw] of (conf.delegates ?? []).entries()) {
      if (i === 0 && base.length > 0) continue;
      base.push({ net: inlineDelegate(raw, i), master: i === 0, request: {} });
    }
  }
  const system = pod === undefined || conf.systemNamespaces.includes(pod.metadata.namespace);
  if (!system) {
    for (const ref of conf.defaultNetworks) {
      base.push({ net: await resolveNetworkRef(conf, source, ref), master: false, request: {} });
    }
  }
  return base;
}
