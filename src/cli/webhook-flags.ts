// The admission webhook's flags, shared by `trunkline webhook` (bare names) and `trunkline controller`
// (prefixed `--webhook-`, since the controller has its own --listen).
import type { WebhookOptions } from '../webhook/start.js';

const STRINGS = [
  'listen',
  'service',
  'configuration',
  'secret',
  'cert-validity',
  'global-namespaces',
  'multus-namespace',
] as const;

export function webhookUsage(p: string, listenDefault: string): string {
  const rows: [string, string][] = [
    ['listen HOST:PORT', `admission webhook (default ${listenDefault}${p ? ': no webhook' : ''})`],
    ['service [NS/]NAME', "the Service in front of it (default: this pod's namespace, trunkline-webhook)"],
    [
      'configuration NAME',
      'Mutating/ValidatingWebhookConfiguration whose caBundle is kept (default trunkline)',
    ],
    ['secret NAME', 'kubernetes.io/tls Secret the replicas share (default trunkline-webhook-tls); one'],
    ['', 'without the trunkline.io/webhook-certificate annotation is served, never renewed'],
    ['cert-validity S', 'lifetime of a self-made CA and certificate, renewed at 2/3 (default 2592000)'],
    ['namespace-isolation', "Multus's namespaceIsolation for pod checks"],
    ['global-namespaces A,B', 'namespaces exempt from isolation (default default)'],
    ['multus-namespace NS', 'namespace of default-network NADs (default kube-system)'],
  ];
  const flag = (f: string) => (f ? `--${p}${f}` : '');
  const width = Math.max(23, ...rows.map(([f]) => flag(f).length + 2));
  return rows.map(([f, text]) => `  ${flag(f).padEnd(width)}${text}\n`).join('');
}

export function webhookOptions(p: string) {
  return {
    ...Object.fromEntries(STRINGS.map((k) => [`${p}${k}`, { type: 'string' as const }])),
    [`${p}namespace-isolation`]: { type: 'boolean' as const },
  };
}

/** The options, or undefined for `--webhook-listen off`; throws an Error naming the bad flag. */
export function parseWebhookFlags(
  p: string,
  values: Record<string, unknown>,
  namespace: string,
  listenDefault: string,
): WebhookOptions | undefined {
  const str = (k: string, d: string) => {
    const v = values[`${p}${k}`];
    return typeof v === 'string' ? v : d;
  };
  const listenText = str('listen', listenDefault);
  if (p !== '' && listenText === 'off') return undefined;
  const listen = /^(.*):(\d+)$/.exec(listenText);
  if (!listen || Number(listen[2]) > 65535)
    throw new Error(`--${p}listen: expected HOST:PORT, found ${listenText}`);
  const validity = Number(str('cert-validity', '2592000'));
  if (!(validity >= 2))
    throw new Error(`--${p}cert-validity: expected seconds >= 2, found ${str('cert-validity', '')}`);
  const service = str('service', 'trunkline-webhook').split('/');
  if (service.length > 2 || service.some((x) => x === ''))
    throw new Error(`--${p}service: expected NAME or NS/NAME, found ${service.join('/')}`);
  return {
    host: listen[1]!.replace(/^\[|\]$/g, ''),
    port: Number(listen[2]),
    serviceNamespace: service.length === 2 ? service[0]! : namespace,
    serviceName: service.at(-1)!,
    configurationName: str('configuration', 'trunkline'),
    secretName: str('secret', 'trunkline-webhook-tls'),
    certValidityMs: validity * 1000,
    namespaceIsolation: values[`${p}namespace-isolation`] === true,
    nonIsolatedNamespaces: str('global-namespaces', 'default')
      .split(',')
      .filter((x) => x !== ''),
    multusNamespace: str('multus-namespace', 'kube-system'),
  };
}
