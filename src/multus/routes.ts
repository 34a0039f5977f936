// The `default-route` annotation key after a delegate's ADD: which default routes to drop from its
// interface and which one to install. The plugin applies the plan to the pod namespace through the
// kernel layer; applyToResult keeps the returned result telling the same story.

import type { Result, Route } from '../cni/types.js';
import { familyOf } from '../net/ip.js';
import type { Delegate } from './delegates.js';

export interface DefaultRoutePlan {
  /** Families whose default routes on this interface are removed. */
  remove: (4 | 6)[];
  /** Default routes to add via these gateways (at most one per family). */
  add: { family: 4 | 6; gateway: string }[];
}

export function isDefaultRoute(r: Route): boolean {
  return r.dst === '0.0.0.0/0' || r.dst === '::/0';
}

export function defaultRoutePlan(d: Delegate): DefaultRoutePlan {
  const add = (d.request.defaultRoute ?? []).map((gateway) => ({ family: familyOf(gateway), gateway }));
  // Multus's DeleteDefaultGW drops every default route of the interface, both families, whenever
  // one family is filtered or a gateway is requested.
  const remove: (4 | 6)[] = d.filterV4Gateway || d.filterV6Gateway || add.length > 0 ? [4, 6] : [];
  return { remove, add };
}

export function planIsEmpty(p: DefaultRoutePlan): boolean {
  return p.remove.length === 0 && p.add.length === 0;
}

export function applyToResult(result: Result, plan: DefaultRoutePlan): Result {
  if (planIsEmpty(plan)) return result;
  const kept = (result.routes ?? []).filter(
    (r) => !(isDefaultRoute(r) && plan.remove.includes(r.dst === '::/0' ? 6 : 4)),
  );
  const added: Route[] = plan.add.map((a) => ({ dst: a.family === 4 ? '0.0.0.0/0' : '::/0', gw: a.gateway }));
  return { ...result, routes: [...kept, ...added] };
}
