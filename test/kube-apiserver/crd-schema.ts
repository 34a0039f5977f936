// A CRD version's OpenAPI v3 schema applied to custom objects as kube-apiserver does: prune unknown
// fields (structural schemas; x-kubernetes-preserve-unknown-fields keeps them), apply defaults, then
// validate (ajv) and word every failure as a field error cause.
import AjvModule, { type ErrorObject, type ValidateFunction } from 'ajv';

// ajv is CommonJS: under Node's ESM loader the class is the default export's `default`.
const Ajv = AjvModule.default;

export type Schema = Record<string, unknown> & {
  type?: string;
  properties?: Record<string, Schema>;
  items?: Schema;
  additionalProperties?: Schema | boolean;
  default?: unknown;
  'x-kubernetes-preserve-unknown-fields'?: boolean;
  'x-kubernetes-embedded-resource'?: boolean;
  'x-kubernetes-int-or-string'?: boolean;
};

export interface Cause {
  reason: string;
  message: string;
  field: string;
}

const isObj = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** OpenAPI v3 → JSON Schema for ajv: nullable, int-or-string; x-kubernetes-* otherwise ignored. */
function toJsonSchema(s: unknown): unknown {
  if (Array.isArray(s)) return s.map(toJsonSchema);
  if (!isObj(s)) return s;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(s)) {
    if (k === 'properties' || k === 'patternProperties' || k === 'definitions') {
      out[k] = Object.fromEntries(
        Object.entries(v as Record<string, unknown>).map(([p, sub]) => [p, toJsonSchema(sub)]),
      );
    } else if (k === 'default' || k === 'enum' || k === 'example') {
      out[k] = v;
    } else if (!k.startsWith('x-kubernetes-') && k !== 'nullable') {
      out[k] = toJsonSchema(v);
    }
  }
  if (s['x-kubernetes-int-or-string'] === true && out.type === undefined) out.type = ['integer', 'string'];
  if (s.nullable === true && typeof out.type === 'string') out.type = [out.type, 'null'];
  if (s.nullable === true && Array.isArray(out.enum)) out.enum = [...out.enum, null];
  return out;
}

export function prune(value: unknown, s: Schema | undefined, root = false): unknown {
  if (s === undefined) return value;
  if (Array.isArray(value)) return s.items ? value.map((v) => prune(v, s.items)) : value;
  if (!isObj(value)) return value;
  const keep = new Set(root || s['x-kubernetes-embedded-resource'] ? ['apiVersion', 'kind', 'metadata'] : []);
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    // Real CRDs declare `metadata: {type: object}`; the server keeps object metadata whatever it says.
    if (keep.has(k)) {
      out[k] = v;
      continue;
    }
    const sub = s.properties?.[k] ?? (isObj(s.additionalProperties) ? s.additionalProperties : undefined);
    if (sub) out[k] = prune(v, sub);
    else if (keep.has(k) || s['x-kubernetes-preserve-unknown-fields'] || s.additionalProperties === true)
      out[k] = v;
  }
  return out;
}

function dropped(before: unknown, after: unknown, at: string): string[] {
  if (Array.isArray(before) && Array.isArray(after)) {
    return before.flatMap((v, i) => dropped(v, after[i], `${at}[${i}]`));
  }
  if (!isObj(before) || !isObj(after)) return [];
  return Object.keys(before).flatMap((k) => {
    const path = at === '' ? k : `${at}.${k}`;
    return k in after ? dropped(before[k], after[k], path) : [path];
  });
}

export function applyDefaults(value: unknown, s: Schema | undefined): unknown {
  if (s === undefined) return value;
  if (Array.isArray(value)) return s.items ? value.map((v) => applyDefaults(v, s.items)) : value;
  if (!isObj(value)) return value;
  const out: Record<string, unknown> = { ...value };
  for (const [k, sub] of Object.entries(s.properties ?? {})) {
    if (out[k] === undefined && sub.default !== undefined) out[k] = structuredClone(sub.default);
    if (out[k] !== undefined) out[k] = applyDefaults(out[k], sub);
  }
  if (isObj(s.additionalProperties)) {
    for (const k of Object.keys(out))
      if (!s.properties?.[k]) out[k] = applyDefaults(out[k], s.additionalProperties);
  }
  return out;
}

const show = (v: unknown) => (typeof v === 'string' ? JSON.stringify(v) : (JSON.stringify(v) ?? 'null'));

function fieldOf(e: ErrorObject): string {
  const path = e.instancePath
    .split('/')
    .slice(1)
    .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'))
    .reduce((acc, p) => (/^\d+$/.test(p) ? `${acc}[${p}]` : acc === '' ? p : `${acc}.${p}`), '');
  if (e.keyword === 'required') {
    const missing = (e.params as { missingProperty: string }).missingProperty;
    return path === '' ? missing : `${path}.${missing}`;
  }
  return path;
}

function causeOf(e: ErrorObject, value: unknown): Cause | undefined {
  const field = fieldOf(e);
  const p = e.params as Record<string, unknown>;
  const invalid = (detail: string): Cause => ({
    reason: 'FieldValueInvalid',
    field,
    message: `Invalid value: ${show(value)}: ${detail}`,
  });
  switch (e.keyword) {
    case 'required':
      return { reason: 'FieldValueRequired', field, message: 'Required value' };
    case 'enum': {
      const allowed = (p.allowedValues as unknown[]).map((v) => JSON.stringify(String(v))).join(', ');
      return {
        reason: 'FieldValueNotSupported',
        field,
        message: `Unsupported value: ${show(value)}: supported values: ${allowed}`,
      };
    }
    case 'type': {
      // kube-openapi shows the found type where other errors show the value.
      const found = JSON.stringify(typeName(value));
      return {
        reason: 'FieldValueInvalid',
        field,
        message: `Invalid value: ${found}: ${field} in body must be of type ${String(p.type)}: ${found}`,
      };
    }
    case 'minimum':
    case 'exclusiveMinimum':
      return invalid(`${field} in body should be greater than or equal to ${String(p.limit)}`);
    case 'maximum':
    case 'exclusiveMaximum':
      return invalid(`${field} in body should be less than or equal to ${String(p.limit)}`);
    case 'maxLength':
      return {
        reason: 'FieldValueTooLong',
        field,
        message: `Too long: may not be more than ${String(p.limit)} bytes`,
      };
    case 'minLength':
      return invalid(`${field} in body should be at least ${String(p.limit)} chars long`);
    case 'pattern':
      return invalid(`${field} in body should match '${String(p.pattern)}'`);
    case 'maxItems':
      return {
        reason: 'FieldValueTooMany',
        field,
        message: `Too many: ${(value as unknown[]).length}: must have at most ${String(p.limit)} items`,
      };
    case 'minItems':
      return invalid(`${field} in body should have at least ${String(p.limit)} items`);
    case 'anyOf':
    case 'oneOf':
    case 'if':
      return undefined; // the branch errors say what is wrong
    default:
      return invalid(e.message ?? e.keyword);
  }
}

function typeName(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  return typeof v;
}

function valueAt(obj: unknown, pointer: string): unknown {
  let cur = obj;
  for (const p of pointer.split('/').slice(1)) {
    if (!isObj(cur) && !Array.isArray(cur)) return undefined;
    cur = (cur as Record<string, unknown>)[p.replace(/~1/g, '/').replace(/~0/g, '~')];
  }
  return cur;
}

export class SchemaValidator {
  private readonly check: ValidateFunction;
  constructor(readonly schema: Schema) {
    const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: false });
    // metadata is validated by the server's generic rules, never by the CRD schema.
    const s = toJsonSchema(schema) as Record<string, unknown>;
    const props = { ...((s.properties as Record<string, unknown> | undefined) ?? {}) };
    delete props.metadata;
    this.check = ajv.compile({ ...s, properties: props });
  }

  /** Paths (spec.a.b, spec.list[0].c) of the fields pruning would drop. */
  unknownFields(obj: Record<string, unknown>): string[] {
    return dropped(obj, prune(obj, this.schema, true), '');
  }

  /** Pruned and defaulted copy of `obj`, or the causes that make it invalid. */
  admit(obj: Record<string, unknown>): { object: Record<string, unknown> } | { causes: Cause[] } {
    const object = applyDefaults(prune(obj, this.schema, true), this.schema) as Record<string, unknown>;
    if (this.check(object)) return { object };
    const causes: Cause[] = [];
    for (const e of this.check.errors ?? []) {
      const c = causeOf(e, valueAt(object, e.instancePath));
      if (c && !causes.some((x) => x.field === c.field && x.message === c.message)) causes.push(c);
    }
    return { causes };
  }
}
