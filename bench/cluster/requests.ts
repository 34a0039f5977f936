// What the nodes asked the API server: the request log of a window, reduced to the agents' requests
// (the service account's, not the harness's) per verb and resource, and the 409s they were answered.
import type { RequestInfo } from '../../test/kube-apiserver/server.js';

export interface RequestFigures {
  /** "verb resource[/subresource]" → requests per pod. */
  perPod: Record<string, number>;
  total: number;
  conflicts409: number;
  /** 409s on SpiderIPPool status: each is one retry of a pool write by a store. */
  poolConflicts: number;
}

const SA_USER = 'system:serviceaccount:kube-system:trunkline-node';

export function requestFigures(log: readonly RequestInfo[], pods: number): RequestFigures {
  const counts = new Map<string, number>();
  let conflicts409 = 0;
  let poolConflicts = 0;
  let total = 0;
  for (const r of log) {
    if (r.user?.username !== SA_USER) continue;
    total++;
    const key = `${r.verb} ${r.plural ?? r.path}${r.subresource ? `/${r.subresource}` : ''}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
    if (r.code === 409) {
      conflicts409++;
      if (r.plural === 'spiderippools') poolConflicts++;
    }
  }
  const perPod: Record<string, number> = {};
  for (const [k, n] of [...counts].sort((a, b) => b[1] - a[1])) perPod[k] = n / pods;
  return { perPod, total, conflicts409, poolConflicts };
}
