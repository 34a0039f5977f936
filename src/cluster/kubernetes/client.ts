// Lazy access to @kubernetes/client-node (heavy: loaded on first API call, never at import time),
// and the mapping of its failures onto CNI errors.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { CniError, Code, causedBy, invalidConfig, tryAgainLater } from '../../cni/errors.js';
import { inClusterConfig, TokenFileAuth, tokenUser } from './incluster.js';

type K8s = typeof import('@kubernetes/client-node');
type CoreV1Api = InstanceType<K8s['CoreV1Api']>;
type CustomObjectsApi = InstanceType<K8s['CustomObjectsApi']>;
type KubeConfig = InstanceType<K8s['KubeConfig']>;

export interface Clients {
  core: CoreV1Api;
  custom: CustomObjectsApi;
  server: string;
  kc: KubeConfig;
  lib: K8s;
}

/** Where the build puts the separately bundled client, relative to the running bundle. */
const BUNDLED_CLIENT = 'lib/kubernetes-client.js';

/**
 * The client library is never inlined into plugin bundles: its 15 MB would be parsed on every CNI
 * call even with the local source. Bundles load dist/lib/kubernetes-client.js next to them; from
 * sources (tests, tsx) the package resolves normally. The name is computed so bundlers skip it.
 */
async function loadLibrary(): Promise<K8s> {
  const main = process.argv[1];
  const bundled = main !== undefined ? join(dirname(main), '..', BUNDLED_CLIENT) : undefined;
  if (bundled !== undefined && existsSync(bundled)) return createRequire(bundled)(bundled) as K8s;
  const pkg = ['@kubernetes', 'client-node'].join('/');
  try {
    return (await import(pkg)) as K8s;
  } catch (err) {
    throw causedBy(
      Code.InvalidConfig,
      `the Kubernetes source needs ${pkg}: neither ${bundled ?? BUNDLED_CLIENT} nor the package is available`,
      err,
    );
  }
}

/** kubeconfig path, or undefined for the in-cluster service account. */
export async function loadClients(kubeconfig: string | undefined): Promise<Clients> {
  const k8s = await loadLibrary();
  const kc = new k8s.KubeConfig();
  if (kubeconfig === undefined) {
    const ic = inClusterConfig();
    kc.addAuthenticator(new TokenFileAuth());
    kc.loadFromClusterAndUser(
      { name: 'in-cluster', server: ic.server, caFile: ic.caFile, skipTLSVerify: false },
      tokenUser(ic.tokenFile),
    );
  } else {
    try {
      kc.loadFromFile(kubeconfig);
    } catch (err) {
      throw causedBy(Code.InvalidConfig, `cannot load kubeconfig ${kubeconfig}`, err);
    }
  }
  // Here, not at import: a start-up snapshot cannot hold node:https, and a process started from one
  // cannot run import() (src/cni/snapshot.ts); a built-in resolves from any base path.
  reuseConnections(kc, (createRequire(process.execPath)('node:https') as typeof import('node:https')).Agent);
  const server = kc.getCurrentCluster()?.server;
  if (server === undefined)
    throw invalidConfig(`kubeconfig ${kubeconfig ?? '(in-cluster)'} has no current cluster`);
  return {
    core: kc.makeApiClient(k8s.CoreV1Api),
    custom: kc.makeApiClient(k8s.CustomObjectsApi),
    server,
    kc,
    lib: k8s,
  };
}

/**
 * client-node 1.x makes a new https.Agent for every request, so every request paid a TCP connect and
 * a TLS handshake (about 20-30 ms of CPU between client and server on a loaded 2-core host, more than
 * the request itself). One keep-alive agent per client and per agent setting (a watch asks for a
 * socket timeout, plain requests do not) lets requests reuse connections, as client-go's transport does.
 */
function reuseConnections(kc: KubeConfig, Agent: typeof import('node:https').Agent): void {
  type Make = (cluster: unknown, opts: Record<string, unknown>) => unknown;
  const target = kc as unknown as { createAgent: Make };
  const make = target.createAgent.bind(kc);
  const agents = new Map<string, unknown>();
  target.createAgent = (cluster, opts) => {
    const made = make(cluster, opts);
    // Proxies and plain HTTP keep the library's own agent.
    if (!(made instanceof Agent)) return made;
    const key = `${String(opts['timeout'])}|${String(opts['servername'])}|${String(opts['rejectUnauthorized'])}`;
    let agent = agents.get(key);
    if (agent === undefined) {
      agent = new Agent({ ...made.options, keepAlive: true });
      agents.set(key, agent);
    }
    return agent;
  };
}

/** HTTP status of a client-node failure (ApiException.code, Watch's statusCode), undefined for transport errors. */
export function httpStatus(err: unknown): number | undefined {
  const e = err as { code?: unknown; statusCode?: unknown } | null;
  const code = e?.code ?? e?.statusCode;
  return typeof code === 'number' ? code : undefined;
}

function bodyMessage(err: unknown): string {
  const body = (err as { body?: unknown }).body;
  try {
    const parsed =
      typeof body === 'string' ? (JSON.parse(body) as { message?: string }) : (body as { message?: string });
    if (parsed?.message) return parsed.message;
  } catch {
    // not a Status object
  }
  return (err as Error).message;
}

/** A CniError naming the request: unreachable or overloaded servers are worth retrying (11). */
export function apiFailure(err: unknown, what: string, server: string): CniError {
  if (err instanceof CniError) return err;
  const status = httpStatus(err);
  if (status === undefined)
    return causedBy(Code.TryAgainLater, `Kubernetes API ${server} unreachable while ${what}`, err);
  if (status === 429 || status >= 500)
    return tryAgainLater(`Kubernetes API ${server} answered ${status} while ${what}: ${bodyMessage(err)}`);
  return new CniError(
    Code.IoFailure,
    `Kubernetes API ${server} refused ${what} (HTTP ${status}): ${bodyMessage(err)}`,
  );
}

/** Reject after `ms` so a hung API server cannot hang the runtime's CNI call. */
export function withTimeout<T>(p: Promise<T>, ms: number, what: string, server: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const t = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(tryAgainLater(`Kubernetes API ${server} did not answer within ${ms} ms while ${what}`)),
      ms,
    );
    timer.unref();
  });
  return Promise.race([p, t]).finally(() => clearTimeout(timer));
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
