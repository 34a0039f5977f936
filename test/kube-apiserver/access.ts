// SelfSubjectAccessReview (what `kubectl auth can-i` posts), answered by the RBAC authorizer.
import type { UserInfo } from './auth.js';
import type { Authorizer } from './rbac.js';

interface ResourceAttributes {
  verb?: string;
  group?: string;
  resource?: string;
  subresource?: string;
  namespace?: string;
  name?: string;
}

export function selfSubjectAccessReview(authz: Authorizer, user: UserInfo, body: unknown): unknown {
  const spec =
    (
      body as {
        spec?: {
          resourceAttributes?: ResourceAttributes;
          nonResourceAttributes?: { verb?: string; path?: string };
        };
      }
    )?.spec ?? {};
  let allowed: boolean;
  if (spec.resourceAttributes) {
    const a = spec.resourceAttributes;
    allowed = authz.allows(user, {
      verb: a.verb ?? '',
      group: a.group ?? '',
      resource: a.resource ?? '',
      ...(a.subresource ? { subresource: a.subresource } : {}),
      ...(a.namespace ? { namespace: a.namespace } : {}),
      ...(a.name ? { name: a.name } : {}),
    });
  } else {
    allowed = authz.allowsNonResource(
      user,
      spec.nonResourceAttributes?.verb ?? '',
      spec.nonResourceAttributes?.path ?? '',
    );
  }
  return {
    kind: 'SelfSubjectAccessReview',
    apiVersion: 'authorization.k8s.io/v1',
    metadata: {},
    spec,
    status: { allowed, ...(allowed ? { reason: 'allowed by RBAC' } : {}) },
  };
}
