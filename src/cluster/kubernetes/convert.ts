// API objects (typed client models from a GET or LIST, plain JSON from a watch stream — same field
// names) mapped onto the cluster-source types, keeping only what Trunkline reads.
import type {
  ControllerRef,
  NamespaceInfo,
  NetworkAttachmentDefinition,
  NodeInfo,
  ObjectMeta,
  PodInfo,
  SpiderIPPool,
  SpiderReservedIP,
} from '../types.js';

export type Raw = { metadata?: Record<string, unknown>; [k: string]: unknown };

export function meta(m: Record<string, unknown> | undefined): ObjectMeta {
  const src = m ?? {};
  const pick = <K extends keyof ObjectMeta>(k: K) =>
    src[k] !== undefined && src[k] !== null ? { [k]: src[k] } : {};
  return {
    name: String(src['name'] ?? ''),
    ...pick('namespace'),
    ...pick('uid'),
    ...pick('labels'),
    ...pick('annotations'),
    ...pick('resourceVersion'),
  } as ObjectMeta;
}

const metaOf = (o: unknown) => meta((o as Raw).metadata);

const iso = (v: unknown): string | undefined =>
  v instanceof Date ? v.toISOString() : typeof v === 'string' && v !== '' ? v : undefined;

type RawOwner = { apiVersion?: string; kind?: string; name?: string; uid?: string; controller?: boolean };

function controllerOf(m: Record<string, unknown> | undefined): ControllerRef | undefined {
  const refs = (m?.['ownerReferences'] ?? []) as RawOwner[];
  const c = Array.isArray(refs) ? refs.find((r) => r.controller === true) : undefined;
  if (c?.kind === undefined || c.name === undefined) return undefined;
  return { apiVersion: c.apiVersion ?? '', kind: c.kind, name: c.name, ...(c.uid ? { uid: c.uid } : {}) };
}

export function toPod(o: unknown, namespace?: string): PodInfo {
  const raw = o as Raw & { spec?: { nodeName?: unknown }; status?: { phase?: unknown } };
  const m = metaOf(o);
  const nodeName = raw.spec?.nodeName;
  const phase = raw.status?.phase;
  const deleting = iso(raw.metadata?.['deletionTimestamp']);
  const controller = controllerOf(raw.metadata);
  return {
    metadata: { ...m, namespace: m.namespace ?? namespace ?? '' },
    ...(typeof nodeName === 'string' && nodeName !== '' ? { nodeName } : {}),
    ...(deleting !== undefined ? { deletionTimestamp: deleting } : {}),
    ...(typeof phase === 'string' && phase !== '' ? { phase } : {}),
    ...(controller !== undefined ? { controller } : {}),
  };
}

export const toNamespace = (o: unknown): NamespaceInfo => ({ metadata: metaOf(o) });
export const toNode = (o: unknown): NodeInfo => ({ metadata: metaOf(o) });

export function toNad(o: unknown, namespace?: string): NetworkAttachmentDefinition {
  const m = metaOf(o);
  const config = ((o as Raw).spec as { config?: unknown } | undefined)?.config;
  return {
    metadata: { ...m, namespace: m.namespace ?? namespace ?? '' },
    spec: typeof config === 'string' ? { config } : {},
  };
}

export const toPool = (o: unknown): SpiderIPPool => ({ ...(o as Raw), metadata: metaOf(o) }) as SpiderIPPool;
export const toReserved = (o: unknown): SpiderReservedIP =>
  ({ ...(o as Raw), metadata: metaOf(o) }) as SpiderReservedIP;
