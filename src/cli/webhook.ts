// `trunkline webhook [--kubeconfig F] [--listen HOST:PORT] [--service NS/NAME] [--configuration NAME]
//  [--cert-validity S] [--namespace-isolation] [--global-namespaces A,B] [--multus-namespace NS]`:
// the admission webhook (src/webhook) until SIGTERM/SIGINT. The controller can start the same.
import { startWebhook } from '../webhook/start.js';
import { parseCommand, usageError } from './args.js';

const USAGE = `usage: trunkline webhook [options]
  --kubeconfig FILE        API server credentials (default: in-cluster service account)
  --listen HOST:PORT       (default 0.0.0.0:9443)
  --service NS/NAME        the Service in front of the webhook (default kube-system/trunkline-webhook)
  --configuration NAME     Mutating/ValidatingWebhookConfiguration whose caBundle is patched (default trunkline)
  --cert-validity S        lifetime of the self-made CA and certificate, renewed at 2/3 (default 2592000)
  --namespace-isolation    Multus's namespaceIsolation for pod checks
  --global-namespaces A,B  namespaces exempt from isolation (default default)
  --multus-namespace NS    namespace of default-network NADs (default kube-system)
`;

const OPTIONS = {
  ...Object.fromEntries(
    [
      'kubeconfig',
      'listen',
      'service',
      'configuration',
      'cert-validity',
      'global-namespaces',
      'multus-namespace',
    ].map((k) => [k, { type: 'string' as const }]),
  ),
  'namespace-isolation': { type: 'boolean' as const },
};

export async function webhookCommand(argv: string[]): Promise<number> {
  const parsed = parseCommand({ name: 'trunkline webhook', usage: USAGE, options: OPTIONS }, argv);
  if (typeof parsed === 'number') return parsed;
  const v = parsed.values as Record<string, string | boolean | undefined>;
  const str = (k: string, d: string) => (typeof v[k] === 'string' ? (v[k] as string) : d);
  const listen = /^(.*):(\d+)$/.exec(str('listen', '0.0.0.0:9443'));
  const service = /^([^/]+)\/([^/]+)$/.exec(str('service', 'kube-system/trunkline-webhook'));
  const validity = Number(str('cert-validity', '2592000'));
  if (!listen || Number(listen[2]) > 65535 || !service || !(validity >= 60)) {
    return usageError(
      'trunkline webhook',
      'expected --listen HOST:PORT, --service NS/NAME, --cert-validity >= 60',
      USAGE,
    );
  }
  const kubeconfig = typeof v['kubeconfig'] === 'string' ? v['kubeconfig'] : undefined;
  const hook = await startWebhook({
    ...(kubeconfig !== undefined ? { kubeconfig } : {}),
    host: listen[1]!,
    port: Number(listen[2]),
    serviceNamespace: service[1]!,
    serviceName: service[2]!,
    configurationName: str('configuration', 'trunkline'),
    certValidityMs: validity * 1000,
    namespaceIsolation: v['namespace-isolation'] === true,
    nonIsolatedNamespaces: str('global-namespaces', 'default')
      .split(',')
      .filter((x) => x !== ''),
    multusNamespace: str('multus-namespace', 'kube-system'),
    onError: (e) =>
      process.stderr.write(`webhook: certificate rotation failed, retrying: ${(e as Error).message}\n`),
  });
  process.stderr.write(`webhook: serving on port ${hook.port}\n`);
  await new Promise<void>((resolve) => {
    process.once('SIGTERM', resolve);
    process.once('SIGINT', resolve);
  });
  await hook.stop();
  return 0;
}
