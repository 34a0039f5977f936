// The whole webhook as `trunkline controller` (or `trunkline webhook`) runs it: its own certificates,
// published into the configurations' caBundle and rotated; the HTTPS server; the cluster as the
// handlers read it. The API client is loaded before serving: its first load takes longer than a
// webhook's timeoutSeconds.
import { loadClients } from '../cluster/kubernetes/client.js';
import { KubernetesSource } from '../cluster/kubernetes/source.js';
import { CertRotator, caBundlePublisher } from './rotate.js';
import { WebhookServer } from './server.js';

export interface WebhookOptions {
  kubeconfig?: string;
  host: string;
  port: number;
  /** The Service in front of the webhook: its DNS name goes into the certificate. */
  serviceNamespace: string;
  serviceName: string;
  /** Name of the Mutating and Validating configurations whose caBundle is ours. */
  configurationName: string;
  certValidityMs: number;
  namespaceIsolation: boolean;
  nonIsolatedNamespaces: string[];
  multusNamespace: string;
  onError?: (e: unknown) => void;
}

export async function startWebhook(o: WebhookOptions): Promise<{ port: number; stop(): Promise<void> }> {
  const clients = await loadClients(o.kubeconfig);
  const source = new KubernetesSource(o.kubeconfig !== undefined ? { kubeconfig: o.kubeconfig } : {});
  await source.getNamespace(o.serviceNamespace);
  const svc = `${o.serviceName}.${o.serviceNamespace}.svc`;
  const rotator = await CertRotator.create({
    dnsNames: [svc, `${svc}.cluster.local`],
    validityMs: o.certValidityMs,
    publish: caBundlePublisher(clients, o.configurationName),
    ...(o.onError ? { onError: o.onError } : {}),
  });
  const server = new WebhookServer({
    cert: rotator.certs.cert,
    key: rotator.certs.key,
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
  try {
    await rotator.start(server);
  } catch (e) {
    await server.close();
    throw e;
  }
  return {
    port,
    stop: async () => {
      rotator.stop();
      await server.close();
    },
  };
}
