// Pods on create: what Multus and the IPAM would otherwise only find at sandbox start. The networks
// annotation parses (both forms), each NAD exists and is visible from the pod's namespace, the
// default network is not an overlay-mode network, and the ippool(s) annotations name existing pools
// whose pod and namespace affinities admit this pod (node affinity waits for scheduling: ADD checks it).

import type { SpiderIPPool } from '../cluster/types.js';
import { CniError, errorText } from '../cni/errors.js';
import { ANNO_POD_IPPOOL, ANNO_POD_IPPOOLS, parsePodIPPool, parsePodIPPools } from '../ipam/annotations.js';
import { matchesSelector } from '../ipam/labels.js';
import {
  DEFAULT_NETWORK_ANNOTATION,
  NETWORKS_ANNOTATION,
  parseDefaultNetworkAnnotation,
  parseNetworksAnnotation,
} from '../multus/annotations.js';
import type { MultusConf } from '../multus/config.js';
import {
  checkNamespaceIsolation,
  configFromSpec,
  isOverlayNetwork,
  NETWORK_MODE_ANNOTATION,
} from '../multus/nad.js';
import type { AdmissionRequest, KindHandler, WebhookContext } from './review.js';

type Meta = {
  name?: string;
  generateName?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
};
const field = (a: string) => `metadata.annotations[${a}]`;

async function networks(ns: string, anns: Record<string, string>, ctx: WebhookContext, pod: string) {
  const out: string[] = [];
  const isolation = {
    namespaceIsolation: ctx.namespaceIsolation,
    nonIsolatedNamespaces: ctx.nonIsolatedNamespaces,
  } as MultusConf;
  for (const s of parseNetworksAnnotation(anns[NETWORKS_ANNOTATION], ns, pod)) {
    try {
      checkNamespaceIsolation(isolation, ns, s.namespace, pod);
    } catch (e) {
      out.push(`${field(NETWORKS_ANNOTATION)}: ${errorText(e)}`);
      continue;
    }
    if (!(await ctx.source.getNetworkAttachmentDefinition(s.namespace, s.name)))
      out.push(
        `${field(NETWORKS_ANNOTATION)}: network "${s.namespace}/${s.name}" not found, expected an existing NetworkAttachmentDefinition`,
      );
  }
  const def = anns[DEFAULT_NETWORK_ANNOTATION];
  if (def !== undefined) {
    const s = parseDefaultNetworkAnnotation(def, ctx.multusNamespace, pod);
    const nad = await ctx.source.getNetworkAttachmentDefinition(s.namespace, s.name);
    const f = field(DEFAULT_NETWORK_ANNOTATION);
    if (!nad)
      out.push(
        `${f}: network "${s.namespace}/${s.name}" not found, expected an existing NetworkAttachmentDefinition`,
      );
    else {
      const conf = configFromSpec(nad);
      const marked = nad.metadata.annotations?.[NETWORK_MODE_ANNOTATION] === 'overlay';
      if (marked || (conf && isOverlayNetwork({ config: conf.config })))
        out.push(
          `${f}: "${s.namespace}/${s.name}" is an overlay-mode network, expected an underlay network as the pod's default network`,
        );
    }
  }
  return out;
}

function admits(
  pool: SpiderIPPool,
  labels: Record<string, string>,
  ns: string,
  nsLabels: Record<string, string>,
) {
  const s = pool.spec;
  if (s.podAffinity && !matchesSelector(s.podAffinity, labels))
    return 'its spec.podAffinity does not select the pod';
  if (s.namespaceName?.length && !s.namespaceName.includes(ns))
    return `its spec.namespaceName ${JSON.stringify(s.namespaceName)} does not include "${ns}"`;
  if (s.namespaceAffinity && !matchesSelector(s.namespaceAffinity, nsLabels))
    return `its spec.namespaceAffinity does not select namespace "${ns}"`;
  return undefined;
}

async function pools(ns: string, meta: Meta, ctx: WebhookContext, pod: string) {
  const anns = meta.annotations ?? {};
  const named: [string, string[]][] = [];
  const where = `pod ${pod}`;
  if (anns[ANNO_POD_IPPOOLS] !== undefined)
    for (const p of parsePodIPPools(where, anns[ANNO_POD_IPPOOLS]))
      named.push([ANNO_POD_IPPOOLS, [...p.ipv4, ...p.ipv6]]);
  if (anns[ANNO_POD_IPPOOL] !== undefined) {
    const p = parsePodIPPool(where, anns[ANNO_POD_IPPOOL]);
    named.push([ANNO_POD_IPPOOL, [...p.ipv4, ...p.ipv6]]);
  }
  if (named.length === 0) return [];
  const all = new Map((await ctx.source.listIPPools()).map((p) => [p.metadata.name, p]));
  const nsLabels = (await ctx.source.getNamespace(ns))?.metadata.labels ?? {};
  const out: string[] = [];
  for (const [a, names] of named) {
    for (const n of names) {
      const pool = all.get(n);
      const why = pool
        ? admits(pool, meta.labels ?? {}, ns, nsLabels)
        : 'not found, expected an existing SpiderIPPool';
      if (why) out.push(`${field(a)}: pool "${n}": ${why}`);
    }
  }
  return out;
}

export const pod: KindHandler = {
  async validate(req: AdmissionRequest, ctx: WebhookContext) {
    if (req.operation !== 'CREATE') return [];
    const meta = ((req.object as { metadata?: Meta }).metadata ?? {}) as Meta;
    const ns = req.namespace ?? 'default';
    const name = `${ns}/${meta.name ?? `${meta.generateName ?? ''}*`}`;
    try {
      return [
        ...(await networks(ns, meta.annotations ?? {}, ctx, name)),
        ...(await pools(ns, meta, ctx, name)),
      ];
    } catch (e) {
      if (e instanceof CniError) return [e.message];
      throw e;
    }
  },
};
