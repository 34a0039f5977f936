// Request handling of the test API server: list/watch/get/create/update/patch/delete on one
// resource path, errors as Status objects.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Admission, Operation } from './admission.js';
import { deleteOptions, type PropagationPolicy } from './deletion.js';
import { jsonPatch, mergePatch, PatchError } from './patch.js';
import type { ParsedPath } from './paths.js';
import type { RequestInfo } from './requests.js';
import type { Registry } from './resources.js';
import { fieldSelector, labelSelector, SelectorError } from './selectors.js';
import { ApiError, type Obj, Store, type StoreEvent, type WriteOptions } from './store.js';
import { strategicMergePatch } from './strategic.js';
import { toTable, wantsTable } from './table.js';

const POLICIES: PropagationPolicy[] = ['Foreground', 'Background', 'Orphan'];

export function status(res: ServerResponse, err: ApiError): void {
  send(res, err.code, {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message: err.message,
    reason: err.reason,
    ...(Object.keys(err.details).length > 0 ? { details: err.details } : {}),
    code: err.code,
  });
}

export function send(res: ServerResponse, code: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(code, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

async function readBody(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new ApiError(400, 'BadRequest', `invalid JSON body: ${(e as Error).message}`);
  }
}

const bodyObj = (b: unknown): Obj => {
  if (typeof b !== 'object' || b === null || Array.isArray(b))
    throw new ApiError(400, 'BadRequest', 'expected a JSON object');
  return b as Obj;
};

export class Handler {
  readonly watches = new Set<ServerResponse>();
  constructor(
    readonly store: Store,
    private readonly reg: Registry,
    private readonly admission?: Admission,
  ) {}

  private async admit(info: RequestInfo, p: ParsedPath, operation: Operation, object?: Obj, old?: Obj) {
    if (!this.admission || !info.user) return object;
    const name = p.name ?? object?.metadata?.name;
    return this.admission.admit({
      resource: p.resource,
      ...(p.subresource ? { subresource: p.subresource } : {}),
      ...(p.namespace !== undefined ? { namespace: p.namespace } : {}),
      ...(name ? { name } : {}),
      operation,
      user: info.user,
      ...(object ? { object } : {}),
      ...(old ? { oldObject: old } : {}),
    });
  }

  /** A deleted namespace takes its objects with it (at once: no Terminating phase here). */
  private emptyNamespace(ns: string): void {
    for (const t of this.reg.types) {
      if (t.namespaced) for (const o of this.store.list(t, ns)) this.store.purge(t, o);
    }
  }

  filter(q: URLSearchParams, ns: string | undefined): (o: Obj) => boolean {
    try {
      const ls = labelSelector(q.get('labelSelector'));
      const fs = fieldSelector(q.get('fieldSelector'));
      return (o) => (ns === undefined || o.metadata?.namespace === ns) && ls(o) && fs(o);
    } catch (e) {
      if (e instanceof SelectorError) throw new ApiError(400, 'BadRequest', e.message);
      throw e;
    }
  }

  list(
    p: ParsedPath,
    q: URLSearchParams,
  ): { kind: string; apiVersion: string; metadata: { resourceVersion: string }; items: Obj[] } {
    const match = this.filter(q, p.namespace);
    const r = p.resource;
    return {
      kind: `${r.kind}List`,
      apiVersion: r.group === '' ? r.version : `${r.group}/${r.version}`,
      metadata: { resourceVersion: String(this.store.currentRv) },
      items: this.store.list(r, p.namespace).filter(match),
    };
  }

  watch(p: ParsedPath, q: URLSearchParams, res: ServerResponse, table: boolean): void {
    const include = q.get('includeObject');
    const match = this.filter(q, p.namespace);
    const from = Number(q.get('resourceVersion') ?? '0') || 0;
    res.writeHead(200, { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked' });
    // Clients wait for the headers before they consider the watch established.
    res.flushHeaders();
    const write = (type: string, o: Obj) => {
      const object = table
        ? toTable(p.resource, [o], { resourceVersion: o.metadata?.resourceVersion }, include)
        : o;
      res.write(`${JSON.stringify({ type, object })}\n`);
    };
    const relevant = (e: StoreEvent) => Store.concerns(e, p.resource) && match(e.object);
    if (from === 0) {
      for (const o of this.store.list(p.resource, p.namespace).filter(match)) write('ADDED', o);
    } else {
      for (const e of this.store.history) if (e.rv > from && relevant(e)) write(e.type, e.object);
    }
    const unsubscribe = this.store.subscribe((e) => {
      if (relevant(e)) write(e.type, e.object);
    });
    this.watches.add(res);
    const timeout = Number(q.get('timeoutSeconds') ?? '0');
    const timer = timeout > 0 ? setTimeout(() => res.end(), timeout * 1000) : undefined;
    const done = () => {
      unsubscribe();
      if (timer) clearTimeout(timer);
      this.watches.delete(res);
    };
    res.on('close', done);
    res.on('finish', done);
  }

  async patch(
    info: RequestInfo,
    p: ParsedPath,
    ctype: string,
    body: unknown,
    opts: WriteOptions,
  ): Promise<Obj> {
    const name = p.name!;
    const cur = this.store.get(p.resource, p.namespace, name);
    if (!cur) throw this.store.notFound(p.resource, name);
    let next: unknown;
    try {
      if (ctype.startsWith('application/json-patch+json')) next = jsonPatch(cur, body);
      else if (ctype.startsWith('application/merge-patch+json')) next = mergePatch(cur, body);
      else if (ctype.startsWith('application/strategic-merge-patch+json') && !p.resource.crd) {
        next = strategicMergePatch(cur, body);
      } else {
        throw new ApiError(
          415,
          'UnsupportedMediaType',
          `the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/strategic-merge-patch+json; found ${ctype}`,
        );
      }
    } catch (e) {
      if (e instanceof PatchError) throw new ApiError(e.code, 'Invalid', e.message);
      throw e;
    }
    // The patched object keeps the current resourceVersion unless the patch set one, which then
    // acts as a precondition (409 when stale), as on a real server.
    const admitted = await this.admit(info, p, 'UPDATE', bodyObj(next), cur);
    return this.store.update(p.resource, p.namespace, name, admitted!, p.subresource, false, opts);
  }

  async handle(req: IncomingMessage, res: ServerResponse, info: RequestInfo, p: ParsedPath): Promise<void> {
    const m = info.method;
    const s = this.store;
    if (m === 'GET' && p.name === undefined) {
      const table = wantsTable(req.headers.accept);
      if (info.watch) return this.watch(p, info.query, res, table);
      const list = this.list(p, info.query);
      return send(
        res,
        200,
        table ? toTable(p.resource, list.items, list.metadata, info.query.get('includeObject')) : list,
      );
    }
    if (m === 'GET') {
      const o = s.get(p.resource, p.namespace, p.name!);
      if (!o) throw s.notFound(p.resource, p.name!);
      return send(
        res,
        200,
        wantsTable(req.headers.accept) ? toTable(p.resource, [o], {}, info.query.get('includeObject')) : o,
      );
    }
    const body = await readBody(req);
    const fv = info.query.get('fieldValidation');
    const opts: WriteOptions = fv ? { fieldValidation: fv } : {};
    if (m === 'POST' && p.name === undefined) {
      const o = bodyObj(body);
      if (
        p.namespace !== undefined &&
        o.metadata?.namespace !== undefined &&
        o.metadata.namespace !== p.namespace
      ) {
        throw new ApiError(
          400,
          'BadRequest',
          'the namespace of the provided object does not match the namespace sent on the request',
        );
      }
      if (
        p.namespace !== undefined &&
        !s.get(this.reg.byPlural('', 'v1', 'namespaces')!, undefined, p.namespace)
      ) {
        throw new ApiError(404, 'NotFound', `namespaces "${p.namespace}" not found`, {
          name: p.namespace,
          kind: 'namespaces',
        });
      }
      const admitted = await this.admit(info, p, 'CREATE', o);
      return send(res, 201, s.create(p.resource, p.namespace, admitted!, false, opts));
    }
    if (m === 'PUT' && p.name !== undefined) {
      const old = s.get(p.resource, p.namespace, p.name);
      const o = old ? await this.admit(info, p, 'UPDATE', bodyObj(body), old) : bodyObj(body);
      return send(res, 200, s.update(p.resource, p.namespace, p.name, o!, p.subresource, false, opts));
    }
    if (m === 'PATCH' && p.name !== undefined) {
      return send(res, 200, await this.patch(info, p, String(req.headers['content-type'] ?? ''), body, opts));
    }
    if (m === 'DELETE') {
      const { preconditions, ...opts } = deleteOptions(info.query, body);
      if (opts.orphanDependents !== undefined && opts.propagationPolicy !== undefined) {
        throw new ApiError(
          422,
          'Invalid',
          'DeleteOptions.meta.k8s.io "" is invalid: [orphanDependents: Invalid value: false: OrphanDependents and DeletionPropagation cannot be both set]',
        );
      }
      if (opts.propagationPolicy !== undefined && !POLICIES.includes(opts.propagationPolicy)) {
        throw new ApiError(
          422,
          'Invalid',
          `DeleteOptions.meta.k8s.io "" is invalid: propagationPolicy: Unsupported value: "${opts.propagationPolicy}": supported values: "Foreground", "Background", "Orphan", "nil"`,
        );
      }
      if (p.name !== undefined) {
        const old = s.get(p.resource, p.namespace, p.name);
        if (old) await this.admit(info, p, 'DELETE', undefined, old);
        const pre = preconditions as { uid?: string; resourceVersion?: string } | undefined;
        const gone = s.delete(p.resource, p.namespace, p.name, pre, opts);
        if (
          p.resource.group === '' &&
          p.resource.plural === 'namespaces' &&
          !s.get(p.resource, undefined, p.name)
        )
          this.emptyNamespace(p.name);
        return send(res, 200, gone);
      }
      const match = this.filter(info.query, p.namespace);
      const gone = s.list(p.resource, p.namespace).filter(match);
      for (const o of gone)
        s.delete(p.resource, o.metadata?.namespace, o.metadata?.name ?? '', undefined, opts);
      return send(res, 200, { kind: `${p.resource.kind}List`, metadata: {}, items: gone });
    }
    throw new ApiError(405, 'MethodNotAllowed', `${m} is not supported on ${info.path}`);
  }
}
