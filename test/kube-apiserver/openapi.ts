// A minimal OpenAPI v3 (/openapi/v3 and one document per group-version): just enough for kubectl to
// see that every served kind's PATCH takes `fieldValidation`, so `kubectl apply` validates on the
// server instead of downloading schemas (no --validate=false needed). The documents carry no
// schemas: kubectl then computes strategic merge patches from its compiled-in types, as it does
// for any server without them.
import { createHash } from 'node:crypto';
import { apiVersionOf, type Registry, type ResourceType } from './resources.js';

const prefixOf = (gv: string) => (gv.includes('/') ? `apis/${gv}` : `api/${gv}`);

export function openapiRoot(reg: Registry): unknown {
  const gvs = [...new Set(reg.types.map(apiVersionOf))];
  const hash = createHash('sha256').update(JSON.stringify(reg.types)).digest('hex').slice(0, 16);
  return {
    paths: Object.fromEntries(
      gvs.map((gv) => [prefixOf(gv), { serverRelativeURL: `/openapi/v3/${prefixOf(gv)}?hash=${hash}` }]),
    ),
  };
}

function itemPath(r: ResourceType): string {
  const base = `/${prefixOf(apiVersionOf(r))}`;
  return r.namespaced ? `${base}/namespaces/{namespace}/${r.plural}/{name}` : `${base}/${r.plural}/{name}`;
}

/** The document for /openapi/v3/api/v1 or /openapi/v3/apis/G/V; undefined when not served. */
export function openapiDocument(reg: Registry, pathname: string): unknown {
  const gv = pathname.replace(/^\/openapi\/v3\/apis?\//, '');
  const types = reg.types.filter((r) => apiVersionOf(r) === gv);
  if (types.length === 0) return undefined;
  const param = (name: string) => ({ name, in: 'query', schema: { type: 'string', uniqueItems: true } });
  return {
    openapi: '3.0.0',
    info: { title: 'Kubernetes', version: 'v1.32.0' },
    paths: Object.fromEntries(
      types.map((r) => [
        itemPath(r),
        {
          patch: {
            operationId: `patch${r.kind}`,
            parameters: [param('dryRun'), param('fieldManager'), param('fieldValidation'), param('force')],
            responses: { '200': { description: 'OK' } },
            'x-kubernetes-action': 'patch',
            'x-kubernetes-group-version-kind': { group: r.group, version: r.version, kind: r.kind },
          },
        },
      ]),
    ),
    components: { schemas: {} },
  };
}
