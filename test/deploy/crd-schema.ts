// Validates custom objects against a CRD's openAPIV3Schema with ajv, the way the API server would:
// the structural-schema extensions (x-kubernetes-*) are annotations to a JSON-schema validator, and
// `format: int32/int64` are range hints it does not know.
import { Ajv, type ValidateFunction } from 'ajv';
import type { K8sObject } from './render.js';

const ajv = new Ajv({ strict: false, allErrors: true });
ajv.addFormat('int32', {
  type: 'number',
  validate: (n: number) => Number.isInteger(n) && Math.abs(n) < 2 ** 31,
});
ajv.addFormat('int64', { type: 'number', validate: (n: number) => Number.isInteger(n) });

interface CrdVersion {
  name: string;
  schema: { openAPIV3Schema: object };
}

export function crdValidator(crd: K8sObject, version: string): ValidateFunction {
  const spec = crd['spec'] as { versions: CrdVersion[] };
  const v = spec.versions.find((x) => x.name === version);
  if (!v) throw new Error(`CRD ${crd.metadata.name}: no version ${version}`);
  return ajv.compile(v.schema.openAPIV3Schema);
}
