// The whole webhook as `trunkline controller` (every replica) or `trunkline webhook` runs it: the
// HTTPS server listens at once, without a certificate until the first pass of the keeper (the shared
// Secret, its CA in caBundle) succeeds; handshakes before that fail and kube-apiserver applies each
// webhook's failurePolicy. The keeper runs again every `syncMs`: renewals by any replica, a caBundle
// wiped by a re-apply of the manifests, a Secret replaced by cert-manager are all picked up there.
import type { Clients } from '../cluster/kubernetes/client.js';
import type { ClusterSource } from '../cluster/types.js';
import { bundlePublisher } from './bundle.js';
import { CertKeeper } from './keeper.js';
import { WebhookServer } from './server.js';

export interface WebhookOptions {
  host: string;
  port: number;
  /** The Service in front of the webhook (its DNS names go into the certificate); the Secret lives beside it. */
  serviceNamespace: string;
  serviceName: string;
  /** Name of the Mutating and Validating configurations whose caBundle is ours. */
  configurationName: string;
  /** The kubernetes.io/tls Secret the replicas share. */
  secretName: string;
  certValidityMs: number;
  namespaceIsolation: boolean;
  nonIsolatedNamespaces: string[];
  multusNamespace: string;
  onError?: (e: unknown) => void;
}

export interface RunningWebhook {
  port: number;
  /** The first certificate is served and its CA published. */
  ready(): boolean;
  stop(): Promise<void>;
}

/** Keeper passes: often enough to renew well before expiry, at most every 30 s. */
const syncPeriod = (validityMs: number) => Math.max(500, Math.min(30_000, validityMs / 10));

export async function startWebhook(
  o: WebhookOptions,
  clients: Clients,
  source: ClusterSource,
): Promise<RunningWebhook> {
  const svc = `${o.serviceName}.${o.serviceNamespace}.svc`;
  const keeper = new CertKeeper({
    clients,
    namespace: o.serviceNamespace,
    secretName: o.secretName,
    dnsNames: [svc, `${svc}.cluster.local`],
    validityMs: o.certValidityMs,
    publish: bundlePublisher(clients, o.configurationName),
  });
  const server = new WebhookServer({
    host: o.host,
    port: o.port,
    context: {
      source,
      namespaceIsolation: o.namespaceIsolation,
      nonIsolatedNamespaces: o.nonIsolatedNamespaces,
      multusNamespace: o.multusNamespace,
    },
  });
  const { port } = await server.listen();
  let served = '';
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let pass: Promise<void> = Promise.resolve();
  const run = async () => {
    try {
      // The handlers' API client loads on first use, slower than a webhook's timeoutSeconds: warm it.
      if (!served) await source.getNamespace(o.serviceNamespace);
      const s = await keeper.sync();
      if (s.cert !== served && !stopped) {
        server.setCertificate(s.cert, s.key);
        served = s.cert;
      }
    } catch (e) {
      o.onError?.(e);
    }
    if (stopped) return;
    timer = setTimeout(() => (pass = run()), served ? syncPeriod(o.certValidityMs) : 1000);
    timer.unref();
  };
  pass = run();
  return {
    port,
    ready: () => served !== '',
    stop: async () => {
      stopped = true;
      if (timer) clearTimeout(timer);
      await pass;
      await server.close();
    },
  };
}
