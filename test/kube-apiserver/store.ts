// Object storage with the API server's consistency rules: one resourceVersion counter across all
// objects, optimistic concurrency on update, status-subresource separation, finalizers, and a
// complete event history so watches can resume from any resourceVersion.
import { randomUUID } from 'node:crypto';
import { type DeleteOptions, planDelete } from './deletion.js';
import { apiVersionOf, type ResourceType } from './resources.js';

export type Obj = Record<string, unknown> & { metadata?: Meta };
export interface Meta {
  name?: string;
  generateName?: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  deletionGracePeriodSeconds?: number;
  finalizers?: string[];
  ownerReferences?: unknown[];
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  [k: string]: unknown;
}

export type EventType = 'ADDED' | 'MODIFIED' | 'DELETED';
export interface StoreEvent {
  type: EventType;
  rv: number;
  resource: ResourceType;
  object: Obj;
}

export class ApiError extends Error {
  constructor(
    readonly code: number,
    readonly reason: string,
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const now = () => new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
const clone = <T>(v: T): T => structuredClone(v);
const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

export type Validator = (obj: Obj) => string | undefined;
/** Per-request options of a write (query parameters). */
export interface WriteOptions {
  /** Strict, Warn or Ignore: what to do with fields the schema does not know. */
  fieldValidation?: string;
}
/** Runs on every API write (not on seeding): returns the object to store or throws an ApiError. */
export type Admitter = (r: ResourceType, obj: Obj, opts: WriteOptions) => Obj;

const sameResource = (a: ResourceType, b: ResourceType) => a.group === b.group && a.plural === b.plural;

export class Store {
  private rv = 0;
  private readonly objects = new Map<string, { resource: ResourceType; object: Obj }>();
  /**
   * The same entries by group/plural: a list (and RBAC's reading of its bindings on every request)
   * costs the objects of its resource, not every object stored (pods and events pile up in a run).
   */
  private readonly byResource = new Map<string, Set<string>>();
  readonly history: StoreEvent[] = [];
  private readonly listeners = new Set<(e: StoreEvent) => void>();
  readonly validators = new Map<string, Validator[]>();
  readonly admitters: Admitter[] = [];

  get currentRv(): number {
    return this.rv;
  }

  private key(r: ResourceType, ns: string | undefined, name: string): string {
    return `${r.group}/${r.plural}/${r.namespaced ? (ns ?? '') : ''}/${name}`;
  }

  private put(key: string, resource: ResourceType, object: Obj): void {
    this.objects.set(key, { resource, object });
    const rk = `${resource.group}/${resource.plural}`;
    const keys = this.byResource.get(rk) ?? new Set<string>();
    keys.add(key);
    this.byResource.set(rk, keys);
  }

  private drop(key: string, resource: ResourceType): void {
    this.objects.delete(key);
    this.byResource.get(`${resource.group}/${resource.plural}`)?.delete(key);
  }

  private describe(r: ResourceType, name: string) {
    return { name, group: r.group, kind: r.plural };
  }

  notFound(r: ResourceType, name: string): ApiError {
    const what = r.group === '' ? r.plural : `${r.plural}.${r.group}`;
    return new ApiError(404, 'NotFound', `${what} "${name}" not found`, this.describe(r, name));
  }

  subscribe(fn: (e: StoreEvent) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  private emit(type: EventType, resource: ResourceType, object: Obj): void {
    const e: StoreEvent = {
      type,
      rv: Number(object.metadata?.resourceVersion),
      resource,
      object: clone(object),
    };
    this.history.push(e);
    for (const l of this.listeners) l(e);
  }

  get(r: ResourceType, ns: string | undefined, name: string): Obj | undefined {
    const found = this.objects.get(this.key(r, ns, name));
    return found ? clone(found.object) : undefined;
  }

  list(r: ResourceType, ns?: string): Obj[] {
    const out: Obj[] = [];
    for (const key of this.byResource.get(`${r.group}/${r.plural}`) ?? []) {
      const { object } = this.objects.get(key)!;
      if (ns !== undefined && object.metadata?.namespace !== ns) continue;
      out.push(clone(object));
    }
    return out.sort((a, b) => Number(a.metadata?.resourceVersion) - Number(b.metadata?.resourceVersion));
  }

  private admit(r: ResourceType, obj: Obj, opts: WriteOptions): Obj {
    let out = obj;
    for (const a of this.admitters) out = a(r, out, opts);
    return out;
  }

  /** Whether an event concerns resource `r` (any version of it). */
  static concerns(e: StoreEvent, r: ResourceType): boolean {
    return sameResource(e.resource, r);
  }

  /** Removes an object at once, ignoring finalizers (its type is going away). */
  purge(r: ResourceType, obj: Obj): void {
    const key = this.key(r, obj.metadata?.namespace, obj.metadata?.name ?? '');
    const cur = this.objects.get(key);
    if (!cur) return;
    this.drop(key, r);
    const gone = clone(cur.object);
    gone.metadata = { ...gone.metadata, resourceVersion: String(++this.rv) };
    this.emit('DELETED', r, gone);
  }

  private validate(r: ResourceType, obj: Obj): void {
    const name = obj.metadata?.name ?? '';
    if (name.length > 253 || !DNS_SUBDOMAIN.test(name)) {
      throw new ApiError(
        422,
        'Invalid',
        `${r.kind} "${name}" is invalid: metadata.name: Invalid value: "${name}": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.'`,
        this.describe(r, name),
      );
    }
    for (const v of this.validators.get(r.kind) ?? []) {
      const problem = v(obj);
      if (problem !== undefined) {
        throw new ApiError(
          422,
          'Invalid',
          `${r.kind} "${name}" is invalid: ${problem}`,
          this.describe(r, name),
        );
      }
    }
  }

  /** Create; `raw` skips API-side rules (used to seed fixtures exactly as given). */
  create(r: ResourceType, ns: string | undefined, body: Obj, raw = false, opts: WriteOptions = {}): Obj {
    const obj = raw ? clone(body) : this.admit(r, clone(body), opts);
    const meta: Meta = { ...(obj.metadata ?? {}) };
    if (!meta.name && meta.generateName) meta.name = `${meta.generateName}${randomUUID().slice(0, 5)}`;
    if (r.namespaced) meta.namespace = ns ?? meta.namespace ?? 'default';
    else delete meta.namespace;
    obj.metadata = meta;
    if (!raw) this.validate(r, obj);
    const name = meta.name ?? '';
    const key = this.key(r, meta.namespace, name);
    if (this.objects.has(key)) {
      const what = r.group === '' ? r.plural : `${r.plural}.${r.group}`;
      throw new ApiError(409, 'AlreadyExists', `${what} "${name}" already exists`, this.describe(r, name));
    }
    if (!raw && r.status) {
      if (r.kind === 'Pod') obj.status = { phase: 'Pending' };
      else if (r.kind === 'Namespace') obj.status = { phase: 'Active' };
      else delete obj.status;
    }
    meta.uid = raw && meta.uid ? meta.uid : randomUUID();
    meta.creationTimestamp = raw && meta.creationTimestamp ? meta.creationTimestamp : now();
    meta.generation = 1;
    meta.resourceVersion = String(++this.rv);
    obj.apiVersion = apiVersionOf(r);
    obj.kind = r.kind;
    this.put(key, r, obj);
    this.emit('ADDED', r, obj);
    return clone(obj);
  }

  /** PUT semantics; `sub` 'status' for the status subresource, `raw` for server-side test mutations. */
  update(
    r: ResourceType,
    ns: string | undefined,
    name: string,
    body: Obj,
    sub?: 'status',
    raw = false,
    opts: WriteOptions = {},
  ): Obj {
    const key = this.key(r, ns, name);
    const cur = this.objects.get(key);
    if (!cur) throw this.notFound(r, name);
    const old = cur.object;
    const bodyMeta = body.metadata ?? {};
    if (bodyMeta.name !== undefined && bodyMeta.name !== name) {
      throw new ApiError(
        400,
        'BadRequest',
        `the name of the object (${bodyMeta.name}) does not match the name on the URL (${name})`,
      );
    }
    if (!raw && bodyMeta.resourceVersion && bodyMeta.resourceVersion !== old.metadata?.resourceVersion) {
      const what = r.group === '' ? r.plural : `${r.plural}.${r.group}`;
      throw new ApiError(
        409,
        'Conflict',
        `Operation cannot be fulfilled on ${what} "${name}": the object has been modified; please apply your changes to the latest version and try again`,
        this.describe(r, name),
      );
    }
    let next: Obj;
    if (sub === 'status') {
      next = r.statusKeepsMetadata
        ? {
            ...clone(body),
            spec: clone(old.spec),
            metadata: { ...clone(bodyMeta), ownerReferences: clone(old.metadata?.ownerReferences ?? []) },
          }
        : { ...clone(old), status: clone(body.status) };
    } else {
      next = clone(body);
      if (r.status && !raw) next.status = clone(old.status);
    }
    const meta: Meta = { ...(next.metadata ?? {}) };
    const oldMeta = old.metadata ?? {};
    if (!raw && oldMeta.deletionTimestamp !== undefined) {
      const added = (meta.finalizers ?? []).filter((f) => !(oldMeta.finalizers ?? []).includes(f));
      if (added.length > 0) {
        throw new ApiError(
          422,
          'Invalid',
          `${r.kind} "${name}" is invalid: metadata.finalizers: Forbidden: no new finalizers can be added if the object is being deleted, found new finalizers ${JSON.stringify(added)}`,
          this.describe(r, name),
        );
      }
    }
    for (const k of [
      'name',
      'namespace',
      'uid',
      'creationTimestamp',
      'deletionTimestamp',
      'deletionGracePeriodSeconds',
    ] as const) {
      if (oldMeta[k] !== undefined) (meta as Record<string, unknown>)[k] = oldMeta[k];
      else delete meta[k];
    }
    if (meta.ownerReferences === undefined || meta.ownerReferences.length === 0) delete meta.ownerReferences;
    meta.generation = (oldMeta.generation ?? 1) + (same(old.spec, next.spec) ? 0 : 1);
    meta.resourceVersion = String(++this.rv);
    next.metadata = meta;
    next.apiVersion = apiVersionOf(r);
    next.kind = r.kind;
    if (!raw) next = this.admit(r, next, opts);
    if (!raw && sub !== 'status') this.validate(r, next);
    // The last finalizer gone from an object whose deletion waits for nothing else: it goes (a pod in
    // its grace period stays until the kubelet's delete).
    const grace = oldMeta.deletionGracePeriodSeconds;
    if (
      meta.deletionTimestamp &&
      (meta.finalizers ?? []).length === 0 &&
      !(grace !== undefined && grace > 0)
    ) {
      this.drop(key, r);
      this.emit('DELETED', r, next);
      return clone(next);
    }
    cur.object = next;
    this.emit('MODIFIED', r, next);
    return clone(next);
  }

  /**
   * DELETE as kube-apiserver's registry does it (deletion.ts): graceful for pods, finalizers (incl.
   * the garbage collector's, from the propagation policy) keep the object with a deletionTimestamp.
   * Returns the object as it was removed or as it now stays.
   */
  delete(
    r: ResourceType,
    ns: string | undefined,
    name: string,
    pre?: { uid?: string; resourceVersion?: string },
    opts: DeleteOptions = {},
  ): Obj {
    const key = this.key(r, ns, name);
    const cur = this.objects.get(key);
    if (!cur) throw this.notFound(r, name);
    const meta = cur.object.metadata ?? {};
    if (
      (pre?.uid && pre.uid !== meta.uid) ||
      (pre?.resourceVersion && pre.resourceVersion !== meta.resourceVersion)
    ) {
      throw new ApiError(
        409,
        'Conflict',
        `Precondition failed for ${r.plural} "${name}"`,
        this.describe(r, name),
      );
    }
    const plan = planDelete(cur.object, r.group === '' && r.plural === 'pods', opts);
    if (plan.kind === 'pending') return clone(cur.object);
    if (plan.kind === 'update' && !same(plan.object, cur.object)) {
      const next = plan.object;
      next.metadata = { ...next.metadata, resourceVersion: String(++this.rv) };
      cur.object = next;
      this.emit('MODIFIED', r, next);
    }
    if (plan.kind === 'update' && !plan.thenRemove) return clone(cur.object);
    this.drop(key, r);
    const gone = clone(cur.object);
    gone.metadata = { ...gone.metadata, resourceVersion: String(++this.rv) };
    this.emit('DELETED', r, gone);
    return clone(gone);
  }
}
