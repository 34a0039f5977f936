// What a DELETE does to an object before (or instead of) removing it, as kube-apiserver's generic
// registry decides it (rest.BeforeDelete, deletionFinalizersForGarbageCollection, markAsDeleting):
// pods are deleted gracefully (deletionTimestamp = now + grace, deletionGracePeriodSeconds = grace;
// the object stays until a delete with grace 0, which the kubelet sends); a later delete may only
// shorten the grace period; the propagation policy adds or removes the garbage collector's `orphan` /
// `foregroundDeletion` finalizers; an object with finalizers gets deletionTimestamp and grace 0 and
// stays until they are gone.
import type { Meta, Obj } from './store.js';

export const ORPHAN = 'orphan';
export const FOREGROUND = 'foregroundDeletion';

export type PropagationPolicy = 'Orphan' | 'Background' | 'Foreground';

/** metav1.DeleteOptions fields the emulation honours (from the body or the query). */
export interface DeleteOptions {
  gracePeriodSeconds?: number;
  propagationPolicy?: PropagationPolicy;
  orphanDependents?: boolean;
}

const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

/** The finalizers a delete with these options leaves on the object (the GC's two are replaced). */
export function finalizersAfterDelete(meta: Meta, o: DeleteOptions): string[] {
  const has = (f: string) => (meta.finalizers ?? []).includes(f);
  let orphan: boolean;
  let foreground: boolean;
  if (o.orphanDependents !== undefined) {
    orphan = o.orphanDependents;
    foreground = false;
  } else if (o.propagationPolicy !== undefined) {
    orphan = o.propagationPolicy === 'Orphan';
    foreground = o.propagationPolicy === 'Foreground';
  } else {
    // No policy given: a GC finalizer already on the object decides; the default is Background.
    orphan = has(ORPHAN);
    foreground = !orphan && has(FOREGROUND);
  }
  const rest = (meta.finalizers ?? []).filter((f) => f !== ORPHAN && f !== FOREGROUND);
  return [...rest, ...(orphan ? [ORPHAN] : []), ...(foreground ? [FOREGROUND] : [])];
}

export type Plan =
  /** A graceful deletion is already pending with a grace period not shortened: nothing changes. */
  | { kind: 'pending' }
  /** Write `object` (MODIFIED); remove it right after when `thenRemove`. */
  | { kind: 'update'; object: Obj; thenRemove: boolean }
  /** Remove it at once (DELETED). */
  | { kind: 'remove' };

/** The pod strategy's grace period (CheckGracefulDelete): 0 when unscheduled or terminated. */
function podGrace(obj: Obj, requested: number | undefined): number {
  const spec = (obj['spec'] ?? {}) as { nodeName?: string; terminationGracePeriodSeconds?: number };
  const phase = ((obj['status'] ?? {}) as { phase?: string }).phase;
  if (!spec.nodeName || phase === 'Succeeded' || phase === 'Failed') return 0;
  return requested ?? spec.terminationGracePeriodSeconds ?? 30;
}

export function planDelete(obj: Obj, graceful: boolean, o: DeleteOptions, nowMs = Date.now()): Plan {
  const next = structuredClone(obj);
  const meta: Meta = { ...(next.metadata ?? {}) };
  next.metadata = meta;
  let grace: number | undefined;
  const existing = meta.deletionGracePeriodSeconds;
  if (meta.deletionTimestamp !== undefined && existing !== undefined && existing > 0) {
    // Only a shorter grace period moves a pending graceful deletion.
    if (o.gracePeriodSeconds === undefined || o.gracePeriodSeconds >= existing) return { kind: 'pending' };
    grace = Math.max(0, o.gracePeriodSeconds);
    const start = Date.parse(meta.deletionTimestamp) - existing * 1000;
    meta.deletionTimestamp = iso(start + grace * 1000);
    meta.deletionGracePeriodSeconds = grace;
  } else if (graceful && meta.deletionTimestamp === undefined) {
    grace = podGrace(obj, o.gracePeriodSeconds);
    meta.deletionTimestamp = iso(nowMs + grace * 1000);
    meta.deletionGracePeriodSeconds = grace;
    meta.generation = (meta.generation ?? 0) + 1;
  }
  const finalizers = finalizersAfterDelete(meta, o);
  if (finalizers.length > 0) meta.finalizers = finalizers;
  else delete meta.finalizers;
  const pending = finalizers.length > 0;
  if (grace === undefined) {
    if (!pending) return { kind: 'remove' };
    // markAsDeleting: now (or earlier, if already set), grace 0, generation bumped the first time.
    if (meta.deletionTimestamp === undefined) meta.generation = (meta.generation ?? 0) + 1;
    if (meta.deletionTimestamp === undefined || Date.parse(meta.deletionTimestamp) > nowMs)
      meta.deletionTimestamp = iso(nowMs);
    meta.deletionGracePeriodSeconds = 0;
    return { kind: 'update', object: next, thenRemove: false };
  }
  return { kind: 'update', object: next, thenRemove: !pending && grace === 0 };
}

/** DeleteOptions from a DELETE's query and body (the body wins, as the server decodes it last). */
export function deleteOptions(
  q: URLSearchParams,
  body: unknown,
): DeleteOptions & { preconditions?: unknown } {
  const b = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
  const out: DeleteOptions & { preconditions?: unknown } = {};
  const grace = b['gracePeriodSeconds'] ?? q.get('gracePeriodSeconds') ?? undefined;
  if (grace !== undefined && grace !== null) out.gracePeriodSeconds = Number(grace);
  const policy = b['propagationPolicy'] ?? q.get('propagationPolicy') ?? undefined;
  if (policy !== undefined && policy !== null) out.propagationPolicy = policy as PropagationPolicy;
  const orphan = b['orphanDependents'] ?? q.get('orphanDependents') ?? undefined;
  if (orphan !== undefined && orphan !== null) out.orphanDependents = orphan === true || orphan === 'true';
  if (b['preconditions'] !== undefined) out.preconditions = b['preconditions'];
  return out;
}
