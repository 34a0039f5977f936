// `trunkline controller [--kubeconfig F] [--identity ID] [--lease-namespace NS] [--lease-name N]
//  [--lease-duration S] [--renew-deadline S] [--retry-period S] [--listen HOST:PORT] [--resync S]`:
// runs until SIGTERM/SIGINT, then releases the lease.
import { hostname } from 'node:os';
import { parseArgs } from 'node:util';
import { startController } from '../controller/controller.js';
import { DEFAULT_TIMINGS, validateTimings } from '../controller/lease.js';

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
`;

const seconds = (flag: string, v: string | undefined, dflt: number): number => {
  if (v === undefined) return dflt;
  const n = Number(v);
  if (!/^\d+(\.\d+)?$/.test(v) || n <= 0) throw new Error(`--${flag}: expected seconds > 0, found ${v}`);
  return n * 1000;
};

export async function controllerCommand(argv: string[]): Promise<number> {
  let o: Parameters<typeof startController>[0];
  try {
    const { values: v } = parseArgs({
      args: argv,
      options: Object.fromEntries(
        [
          'kubeconfig',
          'identity',
          'lease-namespace',
          'lease-name',
          'lease-duration',
          'renew-deadline',
          'retry-period',
          'listen',
          'resync',
        ].map((k) => [k, { type: 'string' as const }]),
      ),
    }) as { values: Record<string, string | undefined> };
    const listen = v['listen'] ?? '0.0.0.0:9190';
    const m = /^(.*):(\d+)$/.exec(listen);
    if (m === null || Number(m[2]) > 65535) throw new Error(`--listen: expected HOST:PORT, found ${listen}`);
    const timings = {
      leaseDurationMs: seconds('lease-duration', v['lease-duration'], DEFAULT_TIMINGS.leaseDurationMs),
      renewDeadlineMs: seconds('renew-deadline', v['renew-deadline'], DEFAULT_TIMINGS.renewDeadlineMs),
      retryPeriodMs: seconds('retry-period', v['retry-period'], DEFAULT_TIMINGS.retryPeriodMs),
    };
    validateTimings(timings);
    o = {
      ...(v['kubeconfig'] !== undefined ? { kubeconfig: v['kubeconfig'] } : {}),
      identity: v['identity'] ?? process.env['POD_NAME'] ?? hostname(),
      leaseNamespace: v['lease-namespace'] ?? process.env['POD_NAMESPACE'] ?? 'kube-system',
      leaseName: v['lease-name'] ?? 'trunkline-controller',
      timings,
      host: m[1]!.replace(/^\[|\]$/g, ''),
      port: Number(m[2]),
      resyncMs: seconds('resync', v['resync'], 60_000),
    };
  } catch (err) {
    process.stderr.write(`trunkline controller: ${(err as Error).message}\n${USAGE}`);
    return 2;
  }
  const log = (event: string, fields: Record<string, unknown> = {}) =>
    process.stderr.write(`${JSON.stringify({ time: new Date().toISOString(), event, ...fields })}\n`);
  const running = await startController(o, log);
  log('serving', { port: running.port, identity: o.identity });
  await new Promise<void>((resolve) => {
    process.once('SIGTERM', resolve);
    process.once('SIGINT', resolve);
  });
  await running.stop();
  log('stopped', { identity: o.identity });
  return 0;
}
