// `trunkline controller [--kubeconfig F] [--identity ID] [--lease-namespace NS] [--lease-name N]
//  [--lease-duration S] [--renew-deadline S] [--retry-period S] [--listen HOST:PORT] [--resync S]`:
//  [--webhook-listen HOST:PORT ...]: runs until SIGTERM/SIGINT, then releases the lease. With
// --webhook-listen (the Deployment passes it) every replica also serves the admission webhook.

import { hostname } from 'node:os';
import { errorText } from '../cni/errors.js';
import { startController } from '../controller/controller.js';
import { DEFAULT_TIMINGS, validateTimings } from '../controller/lease.js';
import { DEFAULT_POLICY } from '../gc/types.js';
import { parseStoreConf } from '../store/index.js';
import { parseCommand } from './args.js';
import { parseWebhookFlags, webhookOptions, webhookUsage } from './webhook-flags.js';

const USAGE = `usage: trunkline controller [options]
  --kubeconfig FILE        API server credentials (default: in-cluster service account)
  --identity ID            Lease holderIdentity (default: $POD_NAME, else the host name)
  --lease-namespace NS     (default: $POD_NAMESPACE, else kube-system)
  --lease-name NAME        (default: trunkline-controller)
  --lease-duration S       (default ${DEFAULT_TIMINGS.leaseDurationMs / 1000})
  --renew-deadline S       (default ${DEFAULT_TIMINGS.renewDeadlineMs / 1000})
  --retry-period S         (default ${DEFAULT_TIMINGS.retryPeriodMs / 1000})
  --listen HOST:PORT       /metrics, /healthz, /readyz (default 0.0.0.0:9190; port 0 = any free port)
  --resync S               full reconcile period while leading (default 60)
  --store JSON             the shared allocation store, as in the IPAM config
                           (default {"type":"kubernetes"}; or {"type":"etcd","endpoints":[...]})
  --gc-inflight-grace S    allocations younger than this are never collected (default ${DEFAULT_POLICY.inflightGraceMs / 1000})
  --gc-terminating-margin S  after a terminating pod's grace period (default ${DEFAULT_POLICY.terminatingMarginMs / 1000})
  --gc-node-not-ready S    a node NotReady this long counts as gone (default ${DEFAULT_POLICY.nodeNotReadyMs / 1000})
${webhookUsage('webhook-', 'off')}`;

const seconds = (flag: string, v: string | undefined, dflt: number, zero = false): number => {
  if (v === undefined) return dflt;
  const n = Number(v);
  if (!/^\d+(\.\d+)?$/.test(v) || (n === 0 && !zero))
    throw new Error(`--${flag}: expected seconds ${zero ? '>= 0' : '> 0'}, found ${v}`);
  return n * 1000;
};

/** The controller cleans a store shared by all nodes; SQLite is per node (its agent runs the GC). */
function storeConf(text: string | undefined) {
  let raw: unknown = { type: 'kubernetes' };
  if (text !== undefined) {
    try {
      raw = JSON.parse(text);
    } catch (err) {
      throw new Error(`--store: expected JSON, found ${text}`, { cause: err });
    }
  }
  const conf = parseStoreConf(raw, '--store');
  if (conf.type !== 'kubernetes' && conf.type !== 'etcd')
    throw new Error(
      '--store: expected type "kubernetes" or "etcd" (a SQLite store is per node: its agent collects it)',
    );
  return conf;
}

const FLAGS = [
  'kubeconfig',
  'identity',
  'lease-namespace',
  'lease-name',
  'lease-duration',
  'renew-deadline',
  'retry-period',
  'listen',
  'resync',
  'store',
  'gc-inflight-grace',
  'gc-terminating-margin',
  'gc-node-not-ready',
] as const;
export const CONTROLLER_SPEC = {
  name: 'trunkline controller',
  usage: USAGE,
  options: {
    ...Object.fromEntries(FLAGS.map((k) => [k, { type: 'string' as const }])),
    ...webhookOptions('webhook-'),
  },
};

export async function controllerCommand(argv: string[]): Promise<number> {
  const args = parseCommand(CONTROLLER_SPEC, argv);
  if (typeof args === 'number') return args;
  let o: Parameters<typeof startController>[0];
  try {
    const v = args.values as Record<string, string | undefined>;
    const listen = v['listen'] ?? '0.0.0.0:9190';
    const m = /^(.*):(\d+)$/.exec(listen);
    if (m === null || Number(m[2]) > 65535) throw new Error(`--listen: expected HOST:PORT, found ${listen}`);
    const timings = {
      leaseDurationMs: seconds('lease-duration', v['lease-duration'], DEFAULT_TIMINGS.leaseDurationMs),
      renewDeadlineMs: seconds('renew-deadline', v['renew-deadline'], DEFAULT_TIMINGS.renewDeadlineMs),
      retryPeriodMs: seconds('retry-period', v['retry-period'], DEFAULT_TIMINGS.retryPeriodMs),
    };
    validateTimings(timings);
    const leaseNamespace = v['lease-namespace'] ?? process.env['POD_NAMESPACE'] ?? 'kube-system';
    const webhook = parseWebhookFlags('webhook-', v, process.env['POD_NAMESPACE'] ?? leaseNamespace, 'off');
    o = {
      ...(webhook ? { webhook } : {}),
      ...(v['kubeconfig'] !== undefined ? { kubeconfig: v['kubeconfig'] } : {}),
      identity: v['identity'] ?? process.env['POD_NAME'] ?? hostname(),
      leaseNamespace,
      leaseName: v['lease-name'] ?? 'trunkline-controller',
      timings,
      host: m[1]!.replace(/^\[|\]$/g, ''),
      port: Number(m[2]),
      resyncMs: seconds('resync', v['resync'], 60_000),
      store: storeConf(v['store']),
      gc: {
        inflightGraceMs: seconds(
          'gc-inflight-grace',
          v['gc-inflight-grace'],
          DEFAULT_POLICY.inflightGraceMs,
          true,
        ),
        terminatingMarginMs: seconds(
          'gc-terminating-margin',
          v['gc-terminating-margin'],
          DEFAULT_POLICY.terminatingMarginMs,
          true,
        ),
        nodeNotReadyMs: seconds(
          'gc-node-not-ready',
          v['gc-node-not-ready'],
          DEFAULT_POLICY.nodeNotReadyMs,
          true,
        ),
      },
    };
  } catch (err) {
    process.stderr.write(`trunkline controller: ${errorText(err)}\n${USAGE}`);
    return 2;
  }
  const log = (event: string, fields: Record<string, unknown> = {}) =>
    process.stderr.write(`${JSON.stringify({ time: new Date().toISOString(), event, ...fields })}\n`);
  const running = await startController(o, log);
  log('serving', { port: running.port, identity: o.identity, webhookPort: running.webhookPort });
  await new Promise<void>((resolve) => {
    process.once('SIGTERM', resolve);
    process.once('SIGINT', resolve);
  });
  await running.stop();
  log('stopped', { identity: o.identity });
  return 0;
}
