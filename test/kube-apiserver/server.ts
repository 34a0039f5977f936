// A Kubernetes API server emulation for tests (none can be installed on these machines). Plain HTTP
// on loopback; production code reaches it through @kubernetes/client-node via the kubeconfig it
// writes. Serves the REST semantics our code relies on: CRUD, /status, merge and JSON patch, watch
// streams that resume from a resourceVersion, selectors, 409 conflicts and Status error objects.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Handler, type RequestInfo, send, status } from './handler.js';
import { discovery, findByKind, findByPlural, parsePath, type ResourceType } from './resources.js';
import { ApiError, type Obj, Store, type Validator } from './store.js';

export type { RequestInfo } from './handler.js';

export interface KubeApiServer {
  url: string;
  kubeconfigPath: string;
  store: Store;
  /** Every request served, in order (for asserting what the client did). */
  requests: RequestInfo[];
  /** Called before each request is handled; may await (to interleave a concurrent writer). */
  onRequest: ((req: RequestInfo) => void | Promise<void>) | undefined;
  stop(): Promise<void>;
  /** Store objects as given (apiVersion + kind pick the resource); status is kept. */
  seed(objects: Obj[]): Obj[];
  get(apiVersion: string, kind: string, namespace: string | undefined, name: string): Obj | undefined;
  list(apiVersion: string, kind: string, namespace?: string): Obj[];
  /** A server-side write (as another client would make it): bumps the resourceVersion. */
  update(obj: Obj): Obj;
  delete(apiVersion: string, kind: string, namespace: string | undefined, name: string): void;
  addValidator(kind: string, v: Validator): void;
}

function resourceOf(apiVersion: unknown, kind: unknown): ResourceType {
  const r = findByKind(String(apiVersion), String(kind));
  if (!r) throw new Error(`test API server does not serve ${String(apiVersion)} ${String(kind)}`);
  return r;
}

function kubeconfig(url: string): string {
  return JSON.stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'test', cluster: { server: url, 'insecure-skip-tls-verify': true } }],
    users: [{ name: 'test', user: { token: 'test-token' } }],
    contexts: [{ name: 'test', context: { cluster: 'test', user: 'test', namespace: 'default' } }],
    'current-context': 'test',
  });
}

export async function startKubeApiServer(): Promise<KubeApiServer> {
  const store = new Store();
  const handler = new Handler(store);
  const nsType = findByPlural('', 'v1', 'namespaces')!;
  for (const n of ['default', 'kube-system', 'kube-public', 'kube-node-lease']) {
    store.create(nsType, undefined, { metadata: { name: n }, status: { phase: 'Active' } }, true);
  }
  const requests: RequestInfo[] = [];
  const api: KubeApiServer = {
    url: '',
    kubeconfigPath: '',
    store,
    requests,
    onRequest: undefined,
    stop: async () => {},
    seed: (objects) =>
      objects.map((o) => store.create(resourceOf(o.apiVersion, o.kind), o.metadata?.namespace, o, true)),
    get: (av, kind, ns, name) => store.get(resourceOf(av, kind), ns, name),
    list: (av, kind, ns) => store.list(resourceOf(av, kind), ns),
    update: (o) =>
      store.update(
        resourceOf(o.apiVersion, o.kind),
        o.metadata?.namespace,
        o.metadata?.name ?? '',
        o,
        undefined,
        true,
      ),
    delete: (av, kind, ns, name) => {
      store.delete(resourceOf(av, kind), ns, name);
    },
    addValidator: (kind, v) => store.validators.set(kind, [...(store.validators.get(kind) ?? []), v]),
  };
  const server = createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://localhost');
      const parsed = parsePath(url.pathname);
      const info: RequestInfo = {
        method: req.method ?? 'GET',
        path: url.pathname,
        query: url.searchParams,
        watch: ['1', 'true'].includes(url.searchParams.get('watch') ?? ''),
        ...(parsed && parsed !== 'discovery'
          ? {
              resource: parsed.resource,
              ...(parsed.namespace !== undefined ? { namespace: parsed.namespace } : {}),
              ...(parsed.name !== undefined ? { name: parsed.name } : {}),
              ...(parsed.subresource !== undefined ? { subresource: parsed.subresource } : {}),
            }
          : {}),
      };
      requests.push(info);
      try {
        await api.onRequest?.(info);
        if (parsed === 'discovery') return send(res, 200, discovery(url.pathname));
        if (parsed === undefined)
          throw new ApiError(
            404,
            'NotFound',
            `the server could not find the requested resource (${url.pathname})`,
          );
        await handler.handle(req, res, info, parsed);
      } catch (e) {
        if (e instanceof ApiError) return status(res, e);
        status(res, new ApiError(500, 'InternalError', (e as Error).message));
      }
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const dir = mkdtempSync(join(tmpdir(), 'kube-apiserver-'));
  api.url = `http://127.0.0.1:${port}`;
  api.kubeconfigPath = join(dir, 'kubeconfig');
  writeFileSync(api.kubeconfigPath, kubeconfig(api.url));
  api.stop = async () => {
    for (const w of handler.watches) w.end();
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    rmSync(dir, { recursive: true, force: true });
  };
  return api;
}
