// CustomResourceDefinitions: creating one serves its resource (every served version), marks it
// Established; deleting one stops serving it and deletes its objects. Custom objects pass through
// the version's schema (prune, default, validate) on every write.
import type { Cause, Schema } from './crd-schema.js';
import { SchemaValidator } from './crd-schema.js';
import { apiVersionOf, type PrinterColumn, type Registry, type ResourceType } from './resources.js';
import { ApiError, type Obj, type Store, type StoreEvent, type WriteOptions } from './store.js';

interface CrdVersion {
  name: string;
  served?: boolean;
  storage?: boolean;
  schema?: { openAPIV3Schema?: Schema };
  subresources?: { status?: unknown };
  additionalPrinterColumns?: PrinterColumn[];
}
interface CrdSpec {
  group: string;
  scope: 'Namespaced' | 'Cluster';
  names: { plural: string; singular?: string; kind: string; shortNames?: string[]; categories?: string[] };
  versions: CrdVersion[];
}

const CRD_GROUP = 'apiextensions.k8s.io';

export class CrdController {
  private readonly validators = new Map<string, SchemaValidator>();
  private unsubscribe: (() => void) | undefined;

  constructor(
    private readonly store: Store,
    private readonly reg: Registry,
  ) {}

  start(): void {
    this.unsubscribe = this.store.subscribe((e) => this.onEvent(e));
    this.store.admitters.push((r, obj, opts) => this.admit(r, obj, opts));
  }

  stop(): void {
    this.unsubscribe?.();
  }

  private onEvent(e: StoreEvent): void {
    if (e.resource.group !== CRD_GROUP || e.resource.plural !== 'customresourcedefinitions') return;
    const spec = e.object.spec as CrdSpec;
    if (e.type === 'DELETED') {
      this.unserve(spec);
      return;
    }
    for (const v of spec.versions ?? []) {
      const t = this.typeOf(spec, v);
      if (v.served === false) this.reg.remove(spec.group, spec.names.plural);
      else this.reg.add(t);
      const schema = v.schema?.openAPIV3Schema;
      if (schema) this.validators.set(apiVersionOf(t) + '/' + t.plural, new SchemaValidator(schema));
    }
    const established = (
      (e.object.status as { conditions?: { type: string }[] } | undefined)?.conditions ?? []
    ).some((c) => c.type === 'Established');
    if (!established) this.establish(e);
  }

  private typeOf(spec: CrdSpec, v: CrdVersion): ResourceType {
    const n = spec.names;
    return {
      group: spec.group,
      version: v.name,
      plural: n.plural,
      kind: n.kind,
      namespaced: spec.scope === 'Namespaced',
      status: v.subresources?.status !== undefined,
      crd: true,
      ...(n.singular ? { singular: n.singular } : {}),
      ...(n.shortNames ? { shortNames: n.shortNames } : {}),
      ...(n.categories ? { categories: n.categories } : {}),
      ...(v.additionalPrinterColumns ? { columns: v.additionalPrinterColumns } : {}),
    };
  }

  private establish(e: StoreEvent): void {
    const now = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
    const cond = (type: string, reason: string, message: string) => ({
      type,
      status: 'True',
      lastTransitionTime: now,
      reason,
      message,
    });
    const spec = e.object.spec as CrdSpec;
    queueMicrotask(() => {
      const cur = this.store.get(e.resource, undefined, e.object.metadata?.name ?? '');
      if (!cur || cur.metadata?.uid !== e.object.metadata?.uid) return;
      cur.status = {
        conditions: [
          cond('NamesAccepted', 'NoConflicts', 'no conflicts found'),
          cond('Established', 'InitialNamesAccepted', 'the initial names have been accepted'),
        ],
        acceptedNames: spec.names,
        storedVersions: spec.versions.filter((v) => v.storage).map((v) => v.name),
      };
      this.store.update(e.resource, undefined, cur.metadata?.name ?? '', cur, 'status');
    });
  }

  private unserve(spec: CrdSpec): void {
    for (const v of spec.versions ?? []) {
      const t = this.reg.byPlural(spec.group, v.name, spec.names.plural);
      if (t) for (const o of this.store.list(t)) this.store.purge(t, o);
      this.validators.delete(`${spec.group}/${v.name}/${spec.names.plural}`);
    }
    this.reg.remove(spec.group, spec.names.plural);
  }

  private admit(r: ResourceType, obj: Obj, opts: WriteOptions): Obj {
    const v = this.validators.get(apiVersionOf(r) + '/' + r.plural);
    if (!r.crd || !v) return obj;
    const unknown = opts.fieldValidation === 'Strict' ? v.unknownFields(obj) : [];
    if (unknown.length > 0) {
      throw new ApiError(
        400,
        'BadRequest',
        `${r.kind} in version "${r.version}" cannot be handled as a ${r.kind}: strict decoding error: ${unknown.map((f) => `unknown field "${f}"`).join(', ')}`,
      );
    }
    const res = v.admit(obj);
    if ('object' in res) return res.object as Obj;
    throw invalid(r, obj.metadata?.name ?? '', res.causes);
  }
}

function invalid(r: ResourceType, name: string, causes: Cause[]): ApiError {
  const list = causes.map((c) => `${c.field}: ${c.message}`);
  const text = list.length === 1 ? list[0] : `[${list.join(', ')}]`;
  return new ApiError(422, 'Invalid', `${r.kind}.${r.group} "${name}" is invalid: ${text}`, {
    name,
    group: r.group,
    kind: r.kind,
    causes,
  });
}
