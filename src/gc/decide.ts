// The GC verdict for one holder's allocation, Spiderpool's rules: release when the pod is gone or is
// another incarnation (UID), when it terminated past its grace period plus a margin or completed,
// or when its node is gone or NotReady too long — unless a StatefulSet/KubeVirt owner still wants
// the replica (the pod comes back under the same name and must get the same address). Young
// allocations are never touched: they may be an ADD whose pod the cache has not seen yet.
import type { Allocation } from '../store/types.js';
import { ownerOf, ownerWants } from './owner.js';
import type { ClusterView, GcPolicy, PodView, Reason } from './types.js';

type Verdict = { release: false; why: string } | { release: true; reason: Reason };

const keep = (why: string): Verdict => ({ release: false, why });

export function decide(
  a: Allocation,
  pod: PodView | undefined,
  view: ClusterView,
  p: GcPolicy,
  now: number,
): Verdict {
  const created = Date.parse(a.createdAt);
  if (!Number.isFinite(created) || now - created < p.inflightGraceMs) return keep('in-flight');
  if (a.podNamespace === undefined || a.podName === undefined) return keep('holder unknown');
  const ns = a.podNamespace;
  const name = a.podName;
  const gone = (reason: Reason): Verdict =>
    ownerWants(ns, name, ownerOf(ns, name, pod, view), view)
      ? keep('owner wants the replica')
      : { release: true, reason };
  if (pod === undefined) return gone('pod-gone');
  // A record without a UID (written by an older client) cannot tell incarnations apart.
  // A StatefulSet/VM pod re-created under the same name takes its predecessor's addresses over.
  if (a.podUid !== undefined && a.podUid !== '' && pod.uid !== a.podUid) return gone('uid-mismatch');
  if (pod.deletionTimestamp !== undefined) {
    const end = Date.parse(pod.deletionTimestamp);
    if (Number.isFinite(end) && now >= end + p.terminatingMarginMs) return gone('terminating-expired');
  }
  if (pod.phase === 'Succeeded' || pod.phase === 'Failed') return gone('pod-completed');
  if (pod.nodeName !== undefined && pod.nodeName !== '') {
    const node = view.node(pod.nodeName);
    if (node === undefined) return gone('node-gone');
    const since = Date.parse(node.readySince ?? '');
    if (node.ready !== 'True' && Number.isFinite(since) && now - since >= p.nodeNotReadyMs)
      return gone('node-not-ready');
  }
  return keep('pod alive');
}
