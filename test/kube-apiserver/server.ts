// A Kubernetes API server emulation for tests (none can be installed on these machines).
//
// Emulated: HTTPS with a per-process CA (tls.ts); bearer tokens per identity, 401 otherwise
// (auth.ts); service-account identities and their in-cluster files, also at the real path through a
// private mount namespace (incluster*.ts); RBAC from stored Roles/ClusterRoles/bindings incl.
// subresources, resourceNames and aggregated ClusterRoles, kube-apiserver's 403 wording,
// SelfSubjectAccessReview (rbac.ts, access.ts); CRUD, /status, JSON / merge / strategic-merge patch,
// watch resuming from a resourceVersion, label/field selectors, 409 conflicts, Status errors
// (handler.ts, store.ts, patch.ts, strategic.ts); deletion: graceful for pods, finalizers,
// propagation policies (deletion.ts) and the garbage collector of ownerReferences
// (garbage-collector.ts); legacy discovery and /version
// (discovery.ts); CRDs: served on creation, Established, removed with their objects on deletion,
// objects pruned, defaulted and validated with ajv against the OpenAPI v3 schema, fieldValidation=
// Strict (crd*.ts); Table responses for `kubectl get` incl. additionalPrinterColumns (table.ts); a
// schema-less OpenAPI v3 (openapi.ts) so `kubectl apply` validates server-side: no flags needed;
// admission webhooks called as kube-apiserver calls them (admission.ts).
// Not emulated: OpenAPI schemas (/openapi/v2 is 404: kubectl builds strategic patches from its
// compiled-in types), aggregated discovery, server-side apply, impersonation, pagination (limit is
// ignored), 410 Gone and watch bookmarks (the whole history is kept), protobuf bodies (except
// SelfSubjectAccessReview), controllers other than the garbage collector (no pod ever runs: a
// gracefully deleted pod stays until a delete with grace 0, which the test sends as the kubelet
// would; workloads get no status), Terminating namespaces (a deleted namespace takes its objects at once).
//
// Extension points: registerBuiltin() (resources.ts) adds kinds to servers started afterwards;
// api.before()/api.after() hook every request (delay, fail with a status, drop the connection);
// api.requests logs each request with its user, verb, resource, authorization decision and status;
// api.accept() serves connections accepted in another network namespace;
// api.store.admitters run on every API write.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { selfSubjectAccessReview } from './access.js';
import { Admission } from './admission.js';
import { ADMIN, Authenticator, serviceAccountUser, type UserInfo } from './auth.js';
import './builtins.js';
import { CrdController } from './crd.js';
import type { DeleteOptions } from './deletion.js';
import { discovery, VERSION } from './discovery.js';
import { GarbageCollector } from './garbage-collector.js';
import { Handler, send, status } from './handler.js';
import { type InClusterFiles, writeInClusterFiles } from './incluster.js';
import { kubeconfig } from './kubeconfig.js';
import { openapiDocument, openapiRoot } from './openapi.js';
import { describeRequest, route } from './paths.js';
import { Authorizer } from './rbac.js';
import { type AfterHook, type BeforeHook, type RequestInfo, reasonFor } from './requests.js';
import { Registry, type ResourceType } from './resources.js';
import { ApiError, type Obj, Store, type Validator } from './store.js';
import { servingCerts } from './tls.js';

export type { UserInfo } from './auth.js';
export { POD_NAME_EXTRA, serviceAccountUser } from './auth.js';
export type { DeleteOptions } from './deletion.js';
export type { InClusterFiles } from './incluster.js';
export { inClusterCommand } from './incluster.js';
export type { AfterHook, BeforeHook, HookAction, RequestInfo } from './requests.js';
export { registerBuiltin } from './resources.js';

export interface KubeApiServer {
  url: string;
  /** Admin kubeconfig (group system:masters: bypasses RBAC). */
  kubeconfigPath: string;
  /** PEM of the CA that signed the serving certificate. */
  caCert: string;
  store: Store;
  registry: Registry;
  /** Every request received, in order, with its user, verb, authorization decision and status. */
  requests: RequestInfo[];
  /** Called before each request is handled; may await (to interleave a concurrent writer). */
  onRequest: ((req: RequestInfo) => void | Promise<void>) | undefined;
  /** Adds a hook run after authentication, before authorization; returns its removal. */
  before(hook: BeforeHook): () => void;
  /**
   * Serves a connection accepted elsewhere as if this server had accepted it: a listener made in
   * another network namespace (a simulated node's 127.0.0.1) and handed to this process.
   */
  accept(socket: Socket): void;
  /** Adds a hook run once the response status is known; returns its removal. */
  after(hook: AfterHook): () => void;
  /** A new bearer token for `user`. */
  token(user: UserInfo): string;
  /** A kubeconfig (CA data + a new token for `user`), written in the server's temp dir. */
  kubeconfigFor(user: UserInfo, namespace?: string): string;
  /** A token for service account NS/NAME (username system:serviceaccount:NS:NAME). */
  serviceAccountToken(namespace: string, name: string): string;
  /** token, ca.crt and namespace as a pod of that service account sees them, plus the env. */
  inCluster(namespace: string, name: string): InClusterFiles;
  stop(): Promise<void>;
  /** Store objects as given (apiVersion + kind pick the resource); status is kept. */
  seed(objects: Obj[]): Obj[];
  get(apiVersion: string, kind: string, namespace: string | undefined, name: string): Obj | undefined;
  list(apiVersion: string, kind: string, namespace?: string): Obj[];
  /** A server-side write (as another client would make it): bumps the resourceVersion. */
  update(obj: Obj): Obj;
  /**
   * A DELETE as a client would send it; by default with grace 0 (the kubelet's final delete, or
   * `--force`), so a pod goes at once unless finalizers hold it.
   */
  delete(
    apiVersion: string,
    kind: string,
    namespace: string | undefined,
    name: string,
    opts?: DeleteOptions,
  ): Obj;
  addValidator(kind: string, v: Validator): void;
  /** Admission webhooks (admission.ts); `endpoints` maps service references to where they listen. */
  admission: Admission;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function startKubeApiServer(): Promise<KubeApiServer> {
  const certs = servingCerts();
  const store = new Store();
  const registry = new Registry();
  const admission = new Admission(store, registry);
  const handler = new Handler(store, registry, admission);
  const auth = new Authenticator();
  const authz = new Authorizer(store, registry);
  const crds = new CrdController(store, registry);
  const gc = new GarbageCollector(store, registry);
  const resourceOf = (apiVersion: unknown, kind: unknown): ResourceType => {
    const r = registry.byKind(String(apiVersion), String(kind));
    if (!r) throw new Error(`test API server does not serve ${String(apiVersion)} ${String(kind)}`);
    return r;
  };
  const nsType = registry.byPlural('', 'v1', 'namespaces')!;
  for (const n of ['default', 'kube-system', 'kube-public', 'kube-node-lease']) {
    store.create(nsType, undefined, { metadata: { name: n }, status: { phase: 'Active' } }, true);
  }
  store.create(registry.byPlural('rbac.authorization.k8s.io', 'v1', 'clusterroles')!, undefined, {
    metadata: { name: 'cluster-admin' },
    rules: [
      { apiGroups: ['*'], resources: ['*'], verbs: ['*'] },
      { nonResourceURLs: ['*'], verbs: ['*'] },
    ],
  });
  const dir = mkdtempSync(join(tmpdir(), 'kube-apiserver-'));
  const befores = new Set<BeforeHook>();
  const afters = new Set<AfterHook>();
  const requests: RequestInfo[] = [];
  let files = 0;
  const api: KubeApiServer = {
    url: '',
    kubeconfigPath: join(dir, 'kubeconfig'),
    caCert: certs.caCert,
    store,
    registry,
    requests,
    onRequest: undefined,
    before: (h) => {
      befores.add(h);
      return () => befores.delete(h);
    },
    after: (h) => {
      afters.add(h);
      return () => afters.delete(h);
    },
    token: (user) => auth.issue(user),
    kubeconfigFor: (user, namespace = 'default') => {
      const path = join(dir, `kubeconfig-${++files}`);
      writeFileSync(path, kubeconfig(api.url, certs.caCert, auth.issue(user), namespace), { mode: 0o600 });
      return path;
    },
    serviceAccountToken: (ns, name) => auth.issue(serviceAccountUser(ns, name)),
    inCluster: (ns, name) =>
      writeInClusterFiles(
        join(dir, `pod-${++files}`),
        api.url,
        certs.caCert,
        api.serviceAccountToken(ns, name),
        ns,
      ),
    stop: async () => {},
    accept: () => {},
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
    delete: (av, kind, ns, name, opts = { gracePeriodSeconds: 0 }) =>
      store.delete(resourceOf(av, kind), ns, name, undefined, opts),
    addValidator: (kind, v) => store.validators.set(kind, [...(store.validators.get(kind) ?? []), v]),
    admission,
  };

  async function serve(
    req: IncomingMessage,
    res: ServerResponse,
    info: RequestInfo,
    url: URL,
  ): Promise<void> {
    const user = auth.authenticate(req.headers.authorization);
    if (!user) throw new ApiError(401, 'Unauthorized', 'Unauthorized');
    info.user = user;
    await api.onRequest?.(info);
    for (const h of befores) {
      const act = await h(info);
      if (act?.delayMs) await sleep(act.delayMs);
      if (act?.drop) {
        req.socket.destroy();
        return;
      }
      if (act?.fail) {
        const { code, reason, message } = act.fail;
        throw new ApiError(code, reason ?? reasonFor(code), message ?? `injected failure ${code}`);
      }
    }
    if (url.pathname === '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews' && info.method === 'POST') {
      info.allowed = true;
      return send(res, 201, await selfSubjectAccessReview(authz, user, req));
    }
    if (info.plural === undefined) {
      info.allowed = authz.allowsNonResource(user, info.verb, url.pathname);
      if (!info.allowed)
        throw new ApiError(
          403,
          'Forbidden',
          `forbidden: User "${user.username}" cannot ${info.verb} path "${url.pathname}"`,
        );
      if (url.pathname === '/version') return send(res, 200, VERSION);
      const doc = /^\/apis?(\/|$)/.test(url.pathname)
        ? discovery(registry, url.pathname)
        : url.pathname === '/openapi/v3'
          ? openapiRoot(registry)
          : url.pathname.startsWith('/openapi/v3/')
            ? openapiDocument(registry, url.pathname)
            : undefined;
      if (doc === undefined)
        throw new ApiError(404, 'NotFound', 'the server could not find the requested resource');
      return send(res, 200, doc);
    }
    authz.check(info);
    const r = route(registry, url.pathname);
    if (r.type !== 'resource')
      throw new ApiError(404, 'NotFound', 'the server could not find the requested resource');
    await handler.handle(req, res, info, r.path);
  }

  const server = createServer({ key: certs.key, cert: certs.cert }, (req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', 'https://localhost');
      const info = describeRequest(registry, req.method ?? 'GET', url);
      requests.push(info);
      try {
        await serve(req, res, info, url);
      } catch (e) {
        status(res, e instanceof ApiError ? e : new ApiError(500, 'InternalError', (e as Error).message));
      }
      if (!req.socket.destroyed || res.headersSent) info.code = res.statusCode;
      for (const h of afters) await h(info);
    })();
  });
  // kube-apiserver keeps idle connections 90 s (Node's default is 5 s): clients that reuse
  // connections, as client-go does, meet the same server behaviour here.
  server.keepAliveTimeout = 90_000;
  // Node's HTTP server pauses a connection's parser when a request arrives before the previous
  // response has drained (needDrain: any response over the socket's 16 KiB high-water mark, such as
  // a pool with its allocations, until the next tick); a TLS connection's parser reads the handle
  // directly, so bytes already decrypted (the rest of a large PUT body) still reach the paused
  // parser and the connection fails with HPE_PAUSED: a dropped request kube-apiserver never causes.
  // Responses are written whole, so no write needs to wait for a drain.
  server.on('secureConnection', (s) => {
    (s as unknown as { _writableState: { highWaterMark: number } })._writableState.highWaterMark = 1 << 30;
  });
  api.accept = (socket) => server.emit('connection', socket);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  api.url = `https://127.0.0.1:${port}`;
  writeFileSync(
    api.kubeconfigPath,
    kubeconfig(api.url, certs.caCert, auth.issue(ADMIN, 'test-token'), 'default'),
  );
  crds.start();
  gc.start();
  api.stop = async () => {
    crds.stop();
    gc.stop();
    for (const w of handler.watches) w.end();
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    rmSync(dir, { recursive: true, force: true });
  };
  return api;
}
