// How request paths map onto resources:
// /api/v1[/namespaces/{ns}]/{plural}[/{name}[/{sub}]] and the same under /apis/{group}/{version}.
import { type RequestInfo, verbOf } from './requests.js';
import type { Registry, ResourceType } from './resources.js';

export interface ParsedPath {
  resource: ResourceType;
  namespace?: string;
  name?: string;
  subresource?: 'status';
}

export type Route =
  | { type: 'resource'; path: ParsedPath }
  | { type: 'discovery' }
  /** A path under /api or /apis that names no served resource (plural kept for RBAC and 404s). */
  | { type: 'unknown'; group?: string; plural?: string; namespace?: string; name?: string }
  | { type: 'other' };

export function route(reg: Registry, pathname: string): Route {
  const parts = pathname.split('/').filter((p) => p !== '');
  let group: string;
  let version: string;
  let rest: string[];
  if (parts[0] === 'api') {
    group = '';
    version = parts[1] ?? '';
    rest = parts.slice(2);
  } else if (parts[0] === 'apis') {
    group = parts[1] ?? '';
    version = parts[2] ?? '';
    rest = parts.slice(3);
  } else {
    return { type: 'other' };
  }
  if (version === '' || rest.length === 0) return { type: 'discovery' };
  let namespace: string | undefined;
  // "namespaces/{ns}/{plural}..." is a namespaced resource, unless it is the namespace object itself.
  if (rest[0] === 'namespaces' && rest.length >= 3 && rest[2] !== 'status' && rest[2] !== 'finalize') {
    namespace = decodeURIComponent(rest[1] ?? '');
    rest = rest.slice(2);
  }
  const name = rest[1] !== undefined ? decodeURIComponent(rest[1]) : undefined;
  const unknown: Route = {
    type: 'unknown',
    group,
    ...(rest[0] !== undefined ? { plural: rest[0] } : {}),
    ...(namespace !== undefined ? { namespace } : {}),
    ...(name !== undefined ? { name } : {}),
  };
  const resource = reg.byPlural(group, version, rest[0] ?? '');
  if (resource === undefined) return unknown;
  if (namespace !== undefined && !resource.namespaced) return unknown;
  if (namespace === undefined && resource.namespaced && rest.length > 1) return unknown;
  const sub = rest[2];
  if (sub !== undefined && (sub !== 'status' || !resource.status)) return unknown;
  if (rest.length > 3) return unknown;
  return {
    type: 'resource',
    path: {
      resource,
      ...(namespace !== undefined ? { namespace } : {}),
      ...(name !== undefined ? { name } : {}),
      ...(sub === 'status' ? { subresource: 'status' as const } : {}),
    },
  };
}

/** The request-log entry of a request, before authentication. */
export function describeRequest(reg: Registry, method: string, url: URL): RequestInfo {
  const r = route(reg, url.pathname);
  const watch = ['1', 'true'].includes(url.searchParams.get('watch') ?? '');
  const p = r.type === 'resource' ? r.path : r.type === 'unknown' ? r : undefined;
  const name = p?.name;
  const info: RequestInfo = {
    method: method,
    path: url.pathname,
    query: url.searchParams,
    watch,
    // Non-resource requests (discovery, /version, /openapi) use the lower-cased HTTP method.
    verb: !(r.type === 'resource' || (r.type === 'unknown' && r.plural !== undefined))
      ? method.toLowerCase()
      : verbOf(method, name !== undefined, watch),
  };
  if (r.type === 'resource') {
    const { resource, namespace, subresource } = r.path;
    Object.assign(info, { resource, apiGroup: resource.group, plural: resource.plural });
    if (namespace !== undefined) info.namespace = namespace;
    if (subresource !== undefined) info.subresource = subresource;
  } else if (r.type === 'unknown') {
    Object.assign(info, { apiGroup: r.group, plural: r.plural });
    if (r.namespace !== undefined) info.namespace = r.namespace;
  }
  if (name !== undefined) info.name = name;
  return info;
}
