// RBAC authorization from the Role/ClusterRole/RoleBinding/ClusterRoleBinding objects stored in the
// server (rbac.authorization.k8s.io/v1), with kube-apiserver's Forbidden wording. system:masters
// bypasses it, as the real server's superuser group does.
import type { UserInfo } from './auth.js';
import type { RequestInfo } from './requests.js';
import type { Registry } from './resources.js';
import { labelSelector } from './selectors.js';
import { ApiError, type Obj, type Store } from './store.js';

interface Rule {
  verbs?: string[];
  apiGroups?: string[];
  resources?: string[];
  resourceNames?: string[];
  nonResourceURLs?: string[];
}
interface Subject {
  kind: string;
  name: string;
  namespace?: string;
}
interface RoleRef {
  kind: string;
  name: string;
}

/** What is being asked, as SubjectAccessReview's resourceAttributes put it. */
export interface Attributes {
  verb: string;
  group: string;
  resource: string;
  subresource?: string;
  namespace?: string;
  name?: string;
}

const has = (list: string[] | undefined, v: string) => (list ?? []).some((x) => x === '*' || x === v);

function ruleAllows(rule: Rule, a: Attributes): boolean {
  if (!has(rule.verbs, a.verb) || !has(rule.apiGroups, a.group)) return false;
  const res = a.subresource ? `${a.resource}/${a.subresource}` : a.resource;
  const resources = rule.resources ?? [];
  const resOk =
    resources.includes('*') ||
    resources.includes(res) ||
    (a.subresource !== undefined && resources.includes(`*/${a.subresource}`));
  if (!resOk) return false;
  const names = rule.resourceNames ?? [];
  return names.length === 0 || (a.name !== undefined && names.includes(a.name));
}

function subjectMatches(s: Subject, user: UserInfo): boolean {
  if (s.kind === 'User') return s.name === user.username;
  if (s.kind === 'Group') return user.groups.includes(s.name);
  if (s.kind === 'ServiceAccount') return user.username === `system:serviceaccount:${s.namespace}:${s.name}`;
  return false;
}

export class Authorizer {
  constructor(
    private readonly store: Store,
    private readonly reg: Registry,
  ) {}

  private objects(plural: string, ns?: string): Obj[] {
    const r = this.reg.byPlural('rbac.authorization.k8s.io', 'v1', plural);
    return r ? this.store.list(r, ns) : [];
  }

  private clusterRoleRules(name: string): Rule[] {
    const role = this.objects('clusterroles').find((o) => o.metadata?.name === name);
    if (!role) return [];
    const agg = (
      role.aggregationRule as { clusterRoleSelectors?: { matchLabels?: Record<string, string> }[] }
    )?.clusterRoleSelectors;
    if (!agg) return (role.rules as Rule[] | undefined) ?? [];
    const selectors = agg.map((s) =>
      labelSelector(
        Object.entries(s.matchLabels ?? {})
          .map(([k, v]) => `${k}=${v}`)
          .join(','),
      ),
    );
    return this.objects('clusterroles')
      .filter((o) => o.metadata?.name !== name && selectors.some((sel) => sel(o)))
      .flatMap((o) => (o.rules as Rule[] | undefined) ?? []);
  }

  private rulesOf(ref: RoleRef, ns: string | undefined): Rule[] {
    if (ref.kind === 'ClusterRole') return this.clusterRoleRules(ref.name);
    const role = this.objects('roles', ns).find((o) => o.metadata?.name === ref.name);
    return (role?.rules as Rule[] | undefined) ?? [];
  }

  /** Every rule that applies to `user` in `ns` (cluster-wide rules plus the namespace's). */
  rules(user: UserInfo, ns: string | undefined): Rule[] {
    const bound = (b: Obj) =>
      ((b.subjects as Subject[] | undefined) ?? []).some((s) => subjectMatches(s, user));
    const out: Rule[] = [];
    for (const b of this.objects('clusterrolebindings'))
      if (bound(b)) out.push(...this.rulesOf(b.roleRef as RoleRef, undefined));
    if (ns !== undefined) {
      for (const b of this.objects('rolebindings', ns))
        if (bound(b)) out.push(...this.rulesOf(b.roleRef as RoleRef, ns));
    }
    return out;
  }

  allows(user: UserInfo, a: Attributes): boolean {
    if (user.groups.includes('system:masters')) return true;
    return this.rules(user, a.namespace).some((r) => ruleAllows(r, a));
  }

  allowsNonResource(user: UserInfo, verb: string, path: string): boolean {
    if (user.groups.includes('system:masters')) return true;
    // Discovery, /version and /openapi are open to every authenticated user (system:discovery).
    if (/^\/(api|apis|version|openapi)(\/|$)/.test(path) && verb === 'get') return true;
    return this.rules(user, undefined).some(
      (r) =>
        has(r.verbs, verb) &&
        (r.nonResourceURLs ?? []).some(
          (u) => u === path || (u.endsWith('*') && path.startsWith(u.slice(0, -1))),
        ),
    );
  }

  /** Throws kube-apiserver's 403 when `req` (already authenticated) is not allowed. */
  check(req: RequestInfo): void {
    const user = req.user!;
    const a: Attributes = {
      verb: req.verb,
      group: req.apiGroup ?? '',
      resource: req.plural ?? '',
      ...(req.subresource ? { subresource: req.subresource } : {}),
      ...(req.namespace !== undefined ? { namespace: req.namespace } : {}),
      ...(req.name !== undefined ? { name: req.name } : {}),
    };
    req.allowed = this.allows(user, a);
    if (req.allowed) return;
    throw forbidden(user, a);
  }
}

export function forbidden(user: UserInfo, a: Attributes): ApiError {
  const what = a.group === '' ? a.resource : `${a.resource}.${a.group}`;
  const res = a.subresource ? `${a.resource}/${a.subresource}` : a.resource;
  const subject = a.name !== undefined && a.verb !== 'create' ? `${what} "${a.name}"` : what;
  const scope = a.namespace !== undefined ? `in the namespace "${a.namespace}"` : 'at the cluster scope';
  return new ApiError(
    403,
    'Forbidden',
    `${subject} is forbidden: User "${user.username}" cannot ${a.verb} resource "${res}" in API group "${a.group}" ${scope}`,
    { ...(a.name !== undefined ? { name: a.name } : {}), group: a.group, kind: a.resource },
  );
}
