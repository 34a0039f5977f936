// Which pools a pod's NIC draws its IPv4 address from, in Spiderpool's precedence (pod annotations,
// then the namespace's defaults, then the NAD's ipam config), with wildcard names expanded: shared by
// the scenario checks and the report's observed pool use.
import { errorText } from '../../cni/errors.js';
import {
  ANNO_NS_DEFAULT_V4,
  ANNO_POD_IPPOOL,
  ANNO_POD_IPPOOLS,
  parseNamespaceDefaults,
  parsePodIPPool,
  parsePodIPPools,
} from '../../ipam/annotations.js';
import { hasWildcard, wildcardToRegExp } from '../../ipam/labels.js';
import type { Manifest } from '../types.js';
import { keyOf, type NadInfo, type PodAttachment } from './model.js';

export function expandPools(names: string[], all: string[]): string[] {
  const out: string[] = [];
  for (const n of names) {
    const hits = hasWildcard(n) ? all.filter((p) => wildcardToRegExp(n).test(p)) : all.includes(n) ? [n] : [];
    for (const h of hits) if (!out.includes(h)) out.push(h);
  }
  return out;
}

/** IPv4 pool names for one NIC, in Spiderpool's precedence, with the field they came from. */
export function poolNamesFor(
  pod: Manifest,
  a: PodAttachment,
  nad: NadInfo,
  ns: Manifest | undefined,
  bad: (p: (string | number)[], msg: string) => void,
): { list: string[]; field: (string | number)[] } | undefined {
  const anno = pod.metadata.annotations ?? {};
  const where = `pod ${keyOf(pod)}`;
  try {
    if (anno[ANNO_POD_IPPOOLS] !== undefined) {
      const hit = parsePodIPPools(where, anno[ANNO_POD_IPPOOLS]).find((e) => e.interface === a.ifname);
      if (hit) return { list: hit.ipv4, field: ['metadata', 'annotations', ANNO_POD_IPPOOLS] };
    }
    if (anno[ANNO_POD_IPPOOL] !== undefined) {
      const p = parsePodIPPool(where, anno[ANNO_POD_IPPOOL]);
      if (p.interface === undefined || p.interface === a.ifname)
        return { list: p.ipv4, field: ['metadata', 'annotations', ANNO_POD_IPPOOL] };
    }
  } catch (e) {
    const msg = errorText(e);
    const f = msg.includes(ANNO_POD_IPPOOLS) ? ANNO_POD_IPPOOLS : ANNO_POD_IPPOOL;
    bad(['metadata', 'annotations', f], msg);
    return undefined;
  }
  if (ns !== undefined) {
    const d = parseNamespaceDefaults(`namespace ${ns.metadata.name}`, ns.metadata.annotations);
    if (d.ipv4.length > 0) return { list: d.ipv4, field: ['metadata', 'annotations', ANNO_NS_DEFAULT_V4] };
  }
  const conf = nad.ipam?.['default_ipv4_ippool'];
  if (Array.isArray(conf) && conf.length > 0) return { list: conf as string[], field: ['spec', 'config'] };
  return undefined; // cluster default pools: nothing the lab can check beyond what IPAM will say
}
