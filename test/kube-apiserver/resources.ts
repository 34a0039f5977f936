// The resource kinds the test API server serves and how request paths map onto them.

export interface ResourceType {
  group: string; // '' for core
  version: string;
  plural: string;
  kind: string;
  namespaced: boolean;
  /** Has a /status subresource: the main endpoint ignores status, /status ignores the rest. */
  status: boolean;
  /** Core pods: metadata changes are kept through /status (Multus writes annotations that way). */
  statusKeepsMetadata?: boolean;
  shortNames?: string[];
}

export const RESOURCES: ResourceType[] = [
  {
    group: '',
    version: 'v1',
    plural: 'pods',
    kind: 'Pod',
    namespaced: true,
    status: true,
    statusKeepsMetadata: true,
  },
  { group: '', version: 'v1', plural: 'namespaces', kind: 'Namespace', namespaced: false, status: true },
  { group: '', version: 'v1', plural: 'nodes', kind: 'Node', namespaced: false, status: true },
  { group: '', version: 'v1', plural: 'configmaps', kind: 'ConfigMap', namespaced: true, status: false },
  { group: '', version: 'v1', plural: 'events', kind: 'Event', namespaced: true, status: false },
  {
    group: 'k8s.cni.cncf.io',
    version: 'v1',
    plural: 'network-attachment-definitions',
    kind: 'NetworkAttachmentDefinition',
    namespaced: true,
    status: false,
    shortNames: ['net-attach-def', 'nad'],
  },
  {
    group: 'spiderpool.spidernet.io',
    version: 'v2beta1',
    plural: 'spiderippools',
    kind: 'SpiderIPPool',
    namespaced: false,
    status: true,
  },
  {
    group: 'spiderpool.spidernet.io',
    version: 'v2beta1',
    plural: 'spiderreservedips',
    kind: 'SpiderReservedIP',
    namespaced: false,
    status: false,
  },
  {
    group: 'coordination.k8s.io',
    version: 'v1',
    plural: 'leases',
    kind: 'Lease',
    namespaced: true,
    status: false,
  },
];

export const apiVersionOf = (r: ResourceType) => (r.group === '' ? r.version : `${r.group}/${r.version}`);

export function findByKind(apiVersion: string, kind: string): ResourceType | undefined {
  return RESOURCES.find((r) => apiVersionOf(r) === apiVersion && r.kind === kind);
}

export function findByPlural(group: string, version: string, plural: string): ResourceType | undefined {
  return RESOURCES.find((r) => r.group === group && r.version === version && r.plural === plural);
}

export interface ParsedPath {
  resource: ResourceType;
  namespace?: string;
  name?: string;
  subresource?: 'status';
}

/**
 * /api/v1[/namespaces/{ns}]/{plural}[/{name}[/status]] and
 * /apis/{group}/{version}[/namespaces/{ns}]/{plural}[/{name}[/status]].
 * Returns undefined for unknown resources, 'discovery' for the discovery documents.
 */
export function parsePath(pathname: string): ParsedPath | 'discovery' | undefined {
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
    return undefined;
  }
  if (version === '' || rest.length === 0) return 'discovery';
  let namespace: string | undefined;
  // "namespaces/{ns}/{plural}..." is a namespaced resource, unless it is the namespace object itself.
  if (rest[0] === 'namespaces' && rest.length >= 3 && rest[2] !== 'status' && rest[2] !== 'finalize') {
    namespace = decodeURIComponent(rest[1] ?? '');
    rest = rest.slice(2);
  }
  const resource = findByPlural(group, version, rest[0] ?? '');
  if (resource === undefined) return undefined;
  if (namespace !== undefined && !resource.namespaced) return undefined;
  if (namespace === undefined && resource.namespaced && rest.length > 1) return undefined;
  const name = rest[1] !== undefined ? decodeURIComponent(rest[1]) : undefined;
  const sub = rest[2];
  if (sub !== undefined && (sub !== 'status' || !resource.status)) return undefined;
  if (rest.length > 3) return undefined;
  return {
    resource,
    ...(namespace !== undefined ? { namespace } : {}),
    ...(name !== undefined ? { name } : {}),
    ...(sub === 'status' ? { subresource: 'status' as const } : {}),
  };
}

/** Discovery documents (the real client only needs them for generic object APIs). */
export function discovery(pathname: string): unknown {
  const parts = pathname.split('/').filter((p) => p !== '');
  if (parts.length === 1 && parts[0] === 'api') {
    return { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [] };
  }
  if (parts.length === 1 && parts[0] === 'apis') {
    const groups = [
      ...new Set(RESOURCES.filter((r) => r.group !== '').map((r) => `${r.group}/${r.version}`)),
    ];
    return {
      kind: 'APIGroupList',
      apiVersion: 'v1',
      groups: groups.map((gv) => {
        const [g, v] = gv.split('/');
        return {
          name: g,
          versions: [{ groupVersion: gv, version: v }],
          preferredVersion: { groupVersion: gv, version: v },
        };
      }),
    };
  }
  const gv = parts[0] === 'api' ? (parts[1] ?? '') : `${parts[1]}/${parts[2]}`;
  return {
    kind: 'APIResourceList',
    apiVersion: 'v1',
    groupVersion: gv,
    resources: RESOURCES.filter((r) => apiVersionOf(r) === gv).flatMap((r) => [
      {
        name: r.plural,
        singularName: r.kind.toLowerCase(),
        namespaced: r.namespaced,
        kind: r.kind,
        verbs: ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'],
        ...(r.shortNames ? { shortNames: r.shortNames } : {}),
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
    ]),
  };
}
