// Per-node host config on Kubernetes (the seam the agent will use; no DaemonSet wiring yet).
//
// A set of host configs, each with a node selector, comes from a ConfigMap's data (or a directory's
// files: file name → content). Each document is either a NodeNetworkConfigurationPolicy
//   {apiVersion: nmstate.io/v1, kind: NodeNetworkConfigurationPolicy, metadata: {name},
//    spec: {nodeSelector: {k: v}, desiredState: {interfaces: [...]}}}
// or the short form {nodeSelector: {k: v}, interfaces: [...]}. A node gets the config whose
// nodeSelector matches all of its labels with the most keys (no selector = every node); two
// matches with equally many keys are ambiguous and rejected rather than merged.

import { parse as parseYaml } from 'yaml';
import { errorText } from '../cni/errors.js';
import { HostConfigError } from './errors.js';
import { validateHostConfig } from './parse.js';
import type { HostConfig } from './types.js';

export interface HostConfigEntry {
  name: string;
  nodeSelector: Record<string, string>;
  config: HostConfig;
}

const isObj = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

export function parseHostConfigSet(files: Record<string, string>): HostConfigEntry[] {
  return Object.entries(files)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([key, text]) => {
      let doc: unknown;
      try {
        doc = parseYaml(text);
      } catch (e) {
        throw new HostConfigError('-', key, `not valid YAML: ${errorText(e)}`, { cause: e });
      }
      if (!isObj(doc)) throw new HostConfigError('-', key, 'expected a mapping');
      const spec = isObj(doc['spec']) ? doc['spec'] : doc;
      const meta = isObj(doc['metadata']) ? doc['metadata'] : {};
      const name = typeof meta['name'] === 'string' ? meta['name'] : key;
      const sel = spec['nodeSelector'] ?? {};
      if (!isObj(sel) || !Object.values(sel).every((v) => typeof v === 'string'))
        throw new HostConfigError(
          '-',
          `${name}: nodeSelector`,
          'expected a mapping of label names to string values',
        );
      return { name, nodeSelector: sel as Record<string, string>, config: validateHostConfig(spec) };
    });
}

/** The entry for a node with these labels, or undefined when none matches. */
export function selectHostConfig(
  entries: HostConfigEntry[],
  labels: Record<string, string>,
): HostConfigEntry | undefined {
  const matching = entries.filter((e) => Object.entries(e.nodeSelector).every(([k, v]) => labels[k] === v));
  const keys = (e: HostConfigEntry) => Object.keys(e.nodeSelector).length;
  const best = Math.max(-1, ...matching.map(keys));
  const top = matching.filter((e) => keys(e) === best);
  if (top.length > 1)
    throw new HostConfigError(
      '-',
      'nodeSelector',
      `host configs ${top.map((e) => e.name).join(' and ')} both match this node equally; make one selector more specific`,
    );
  return top[0];
}
