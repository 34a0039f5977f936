// Discovery documents (legacy, unaggregated: kubectl falls back to them) and /version.
import { apiVersionOf, type Registry, type ResourceType, singularOf } from './resources.js';

const VERBS = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];

function resourceList(r: ResourceType): unknown[] {
  return [
    {
      name: r.plural,
      singularName: singularOf(r),
      namespaced: r.namespaced,
      kind: r.kind,
      verbs: VERBS,
      ...(r.shortNames ? { shortNames: r.shortNames } : {}),
      ...(r.categories ? { categories: r.categories } : {}),
    },
    ...(r.status
      ? [
          {
            name: `${r.plural}/status`,
            singularName: '',
            namespaced: r.namespaced,
            kind: r.kind,
            verbs: ['get', 'patch', 'update'],
          },
        ]
      : []),
  ];
}

export const VERSION = {
  major: '1',
  minor: '32',
  gitVersion: 'v1.32.0-trunkline-test',
  platform: 'linux/amd64',
};

/** The document for /api, /apis, /api/v1 or /apis/G/V; undefined when the group is unknown. */
export function discovery(reg: Registry, pathname: string): unknown {
  const parts = pathname.split('/').filter((p) => p !== '');
  if (parts.length === 1 && parts[0] === 'api') {
    return { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [] };
  }
  if (parts.length === 1 && parts[0] === 'apis') {
    const groups = new Map<string, string[]>();
    for (const r of reg.types) {
      if (r.group === '') continue;
      const vs = groups.get(r.group) ?? [];
      if (!vs.includes(r.version)) vs.push(r.version);
      groups.set(r.group, vs);
    }
    return {
      kind: 'APIGroupList',
      apiVersion: 'v1',
      groups: [...groups].map(([name, vs]) => ({
        name,
        versions: vs.map((v) => ({ groupVersion: `${name}/${v}`, version: v })),
        preferredVersion: { groupVersion: `${name}/${vs[0]}`, version: vs[0] },
      })),
    };
  }
  if (parts[0] === 'apis' && parts.length === 2) {
    const vs = [...new Set(reg.types.filter((r) => r.group === parts[1]).map((r) => r.version))];
    if (vs.length === 0) return undefined;
    return {
      kind: 'APIGroup',
      apiVersion: 'v1',
      name: parts[1],
      versions: vs.map((v) => ({ groupVersion: `${parts[1]}/${v}`, version: v })),
      preferredVersion: { groupVersion: `${parts[1]}/${vs[0]}`, version: vs[0] },
    };
  }
  const gv = parts[0] === 'api' ? (parts[1] ?? '') : `${parts[1]}/${parts[2]}`;
  const served = reg.types.filter((r) => apiVersionOf(r) === gv);
  if (served.length === 0 && gv !== 'v1') return undefined;
  return {
    kind: 'APIResourceList',
    apiVersion: 'v1',
    groupVersion: gv,
    resources: served.flatMap(resourceList),
  };
}
