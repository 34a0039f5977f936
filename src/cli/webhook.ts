// `trunkline webhook [--kubeconfig F] [--listen HOST:PORT] [--service [NS/]NAME] ...`: the admission
// webhook alone (src/webhook) until SIGTERM/SIGINT. `trunkline controller` serves the same in every
// replica; this command is for running it apart from the controller.

import { loadClients } from '../cluster/kubernetes/client.js';
import { KubernetesSource } from '../cluster/kubernetes/source.js';
import { errorText } from '../cni/errors.js';
import { startWebhook } from '../webhook/start.js';
import { parseCommand, usageError } from './args.js';
import { parseWebhookFlags, webhookOptions, webhookUsage } from './webhook-flags.js';

const USAGE = `usage: trunkline webhook [options]
  --kubeconfig FILE        API server credentials (default: in-cluster service account)
${webhookUsage('', '0.0.0.0:9443')}`;

const OPTIONS = { kubeconfig: { type: 'string' as const }, ...webhookOptions('') };

export async function webhookCommand(argv: string[]): Promise<number> {
  const parsed = parseCommand({ name: 'trunkline webhook', usage: USAGE, options: OPTIONS }, argv);
  if (typeof parsed === 'number') return parsed;
  const v = parsed.values as Record<string, unknown>;
  let o: ReturnType<typeof parseWebhookFlags>;
  try {
    o = parseWebhookFlags('', v, process.env['POD_NAMESPACE'] ?? 'kube-system', '0.0.0.0:9443');
  } catch (e) {
    return usageError('trunkline webhook', errorText(e), USAGE);
  }
  const kubeconfig = typeof v['kubeconfig'] === 'string' ? v['kubeconfig'] : undefined;
  const clients = await loadClients(kubeconfig);
  const source = new KubernetesSource(kubeconfig !== undefined ? { kubeconfig } : {});
  const hook = await startWebhook(
    {
      ...o!,
      onError: (e) => process.stderr.write(`webhook: certificate pass failed, retrying: ${errorText(e)}\n`),
    },
    clients,
    source,
  );
  process.stderr.write(`webhook: serving on port ${hook.port}\n`);
  await new Promise<void>((resolve) => {
    process.once('SIGTERM', resolve);
    process.once('SIGINT', resolve);
  });
  await hook.stop();
  return 0;
}
