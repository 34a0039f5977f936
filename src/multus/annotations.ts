// Pod annotations of the NPWG multi-network spec as Multus reads them: the attachment list
// (`k8s.v1.cni.cncf.io/networks`, short and JSON forms) and the cluster-network override
// (`v1.multus-cni.io/default-network`). Bad values fail the pod (code 7) instead of being ignored,
// as Multus does; every message names the annotation, the entry and what was wrong with it.

import { assertShallow } from '../cni/conf.js';
import { errorText, invalidConfig } from '../cni/errors.js';
import { familyOf } from '../net/ip.js';
import { EntryContext, type NetworkSelection, parseJsonItem, parseShortItem } from './selection.js';

// The webhook's SpiderMultusConfig rules import it from here.
export type { Bandwidth, NetworkSelection, PortMapping } from './selection.js';

export const NETWORKS_ANNOTATION = 'k8s.v1.cni.cncf.io/networks';
export const DEFAULT_NETWORK_ANNOTATION = 'v1.multus-cni.io/default-network';
export const NETWORK_STATUS_ANNOTATION = 'k8s.v1.cni.cncf.io/network-status';

function parseSelections(
  annotation: string,
  value: string,
  defaultNs: string,
  pod?: string,
): NetworkSelection[] {
  const ctx = new EntryContext(annotation, pod !== undefined ? ` on pod ${pod}` : '');
  // Multus's rule for telling the forms apart: any of '[', '{' or '"' means JSON.
  if (/[[{"]/.test(value)) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(value);
    } catch (err) {
      throw invalidConfig(
        `invalid ${annotation} annotation${ctx.where}: not valid JSON (${errorText(err)}); expected a list of {"name": ...} objects`,
        undefined,
        { cause: err },
      );
    }
    assertShallow(value, `${annotation} annotation${ctx.where}`);
    if (!Array.isArray(parsed)) {
      throw invalidConfig(
        `invalid ${annotation} annotation${ctx.where}: expected a JSON list of {"name": ...} objects, found ${JSON.stringify(parsed)}`,
      );
    }
    return parsed.map((item, i) => parseJsonItem(ctx, i, item, defaultNs));
  }
  return value.split(',').map((item, i) => parseShortItem(ctx, i, item, defaultNs));
}

/** `k8s.v1.cni.cncf.io/networks`; an absent or blank value means no extra networks. */
export function parseNetworksAnnotation(
  value: string | undefined,
  podNamespace: string,
  pod?: string,
): NetworkSelection[] {
  if (value === undefined || value.trim() === '') return [];
  return parseSelections(NETWORKS_ANNOTATION, value, podNamespace, pod);
}

/** `v1.multus-cni.io/default-network`: exactly one network, namespace defaulting to multusNamespace. */
export function parseDefaultNetworkAnnotation(
  value: string,
  multusNamespace: string,
  pod?: string,
): NetworkSelection {
  const where = pod !== undefined ? ` on pod ${pod}` : '';
  if (value.trim() === '') {
    throw invalidConfig(
      `invalid ${DEFAULT_NETWORK_ANNOTATION} annotation${where}: empty, expected one network name`,
    );
  }
  const list = parseSelections(DEFAULT_NETWORK_ANNOTATION, value, multusNamespace, pod);
  if (list.length !== 1) {
    throw invalidConfig(
      `invalid ${DEFAULT_NETWORK_ANNOTATION} annotation${where}: expected exactly one network, found ${list.length} in ${JSON.stringify(value)}`,
    );
  }
  return list[0]!;
}

/** At most one requested default-route gateway per family over all attachments. */
export function checkDefaultRouteRequests(
  items: ReadonlyArray<{ name: string; defaultRoute?: readonly string[] | undefined }>,
  pod?: string,
): void {
  const seen: Record<4 | 6, string[]> = { 4: [], 6: [] };
  for (const it of items) {
    for (const gw of it.defaultRoute ?? []) seen[familyOf(gw)].push(`${gw} (${it.name})`);
  }
  for (const fam of [4, 6] as const) {
    if (seen[fam].length > 1) {
      throw invalidConfig(
        `invalid ${NETWORKS_ANNOTATION} annotation${pod !== undefined ? ` on pod ${pod}` : ''}: "default-route" requests ${seen[fam].length} IPv${fam} gateways (${seen[fam].join(', ')}); at most one per family is supported (no ECMP default route)`,
      );
    }
  }
}
