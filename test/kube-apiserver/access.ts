// SelfSubjectAccessReview (what `kubectl auth can-i` posts, as protobuf), answered by the RBAC
// authorizer.
import type { IncomingMessage } from 'node:http';
import type { UserInfo } from './auth.js';
import { str, sub, unwrap } from './protobuf.js';
import type { Authorizer } from './rbac.js';
import { ApiError } from './store.js';

interface Spec {
  resourceAttributes?: Record<string, string>;
  nonResourceAttributes?: { verb?: string; path?: string };
}

const RESOURCE_FIELDS = ['namespace', 'verb', 'group', 'version', 'resource', 'subresource', 'name'];

function fromProtobuf(body: Buffer): Spec {
  const spec = sub(unwrap(body), 2);
  const ra = spec && sub(spec, 1);
  const nra = spec && sub(spec, 2);
  if (ra) {
    const attrs: Record<string, string> = {};
    RESOURCE_FIELDS.forEach((k, i) => {
      const v = str(ra, i + 1);
      if (v) attrs[k] = v;
    });
    return { resourceAttributes: attrs };
  }
  return { nonResourceAttributes: { path: (nra && str(nra, 1)) ?? '', verb: (nra && str(nra, 2)) ?? '' } };
}

async function readSpec(req: IncomingMessage): Promise<Spec> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  const body = Buffer.concat(chunks);
  try {
    if (String(req.headers['content-type']).startsWith('application/vnd.kubernetes.protobuf'))
      return fromProtobuf(body);
    return (JSON.parse(body.toString('utf8')) as { spec?: Spec }).spec ?? {};
  } catch (e) {
    throw new ApiError(400, 'BadRequest', `cannot decode SelfSubjectAccessReview: ${(e as Error).message}`);
  }
}

export async function selfSubjectAccessReview(
  authz: Authorizer,
  user: UserInfo,
  req: IncomingMessage,
): Promise<unknown> {
  const spec = await readSpec(req);
  let allowed: boolean;
  const a = spec.resourceAttributes;
  if (a) {
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
