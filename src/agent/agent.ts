// The node agent: our plugins in-process behind a unix socket, with a concurrency gate, per-container
// serialization, metrics and health endpoints. Stopping it finishes what was accepted and leaves every
// file but its own socket alone — in particular the CNI config the runtime relies on.
import { chown } from 'node:fs/promises';
import { log } from '../cni/log.js';
import type { Plugin } from '../cni/plugin.js';
import type { Kernel } from '../kernel/types.js';
import { QuietCheckpoints } from './checkpoint.js';
import { Gate } from './gate.js';
import { type HttpEndpoint, startHttp } from './http.js';
import { AgentMetrics, type Collector, processCollector } from './metrics.js';
import { peerCheck } from './peer.js';
import { ownPlugins } from './plugins.js';
import { KeyedSerializer } from './serial.js';
import { DEFAULT_LIMITS, type ServerLimits, SocketServer } from './server.js';
import { type Tracer, tracerFromEnv } from './trace.js';
import { WarmCaches } from './warm.js';

export const DEFAULT_SOCKET = '/run/trunkline/agent.sock';
export const DEFAULT_METRICS_PORT = 9483;
export const DEFAULT_MAX_CONNECTIONS = 64;
/** Below the shim's 120 s, so the runtime hears the agent's code 11 rather than the shim's. */
export const DEFAULT_REQUEST_TIMEOUT_MS = 110_000;

interface AgentOptions {
  socketPath?: string;
  /** A listening socket on `socketPath` inherited from systemd (socket activation), used as is. */
  listenFd?: number;
  /** undefined: no HTTP endpoint; 0: any free port (see RunningAgent.metricsPort). */
  metricsPort?: number;
  metricsHost?: string;
  /** Requests served at once; more wait in a queue of `maxQueue` (default 16 × this), then "busy". */
  maxConnections?: number;
  maxQueue?: number;
  /** Longest one request may run before it is answered with code 11 (its late effects undone). */
  requestTimeoutMs?: number;
  /** Open connections, request memory, idle and read time (defaults: DEFAULT_LIMITS). */
  limits?: Partial<ServerLimits>;
  /** A non-root uid allowed to call the agent besides root (its socket file is given to it). */
  allowUid?: number;
  kernel: Kernel;
  /** Defaults to ownPlugins(kernel, warm caches). */
  plugins?: Map<string, Plugin>;
  collectors?: Collector[];
  /** Per-request phase timing; default: a tracer to the file TRUNKLINE_AGENT_TRACE names, else none. */
  tracer?: Tracer;
}

export interface RunningAgent {
  socketPath: string;
  metricsPort: number | undefined;
  metrics: AgentMetrics;
  plugins: ReadonlyMap<string, Plugin>;
  /** Stops accepting, waits for accepted requests (at most graceMs), closes the HTTP port. */
  close(graceMs?: number): Promise<{ drained: boolean }>;
}

function readiness(state: string, unsynced: string[], what: string): { ok: boolean; reason: string } {
  if (state !== 'ready') return { ok: false, reason: state };
  if (unsynced.length > 0)
    return { ok: false, reason: `Kubernetes caches not synced: ${unsynced.join(', ')}` };
  return { ok: true, reason: `ready: ${what}` };
}

export async function startAgent(opts: AgentOptions): Promise<RunningAgent> {
  const socketPath = opts.socketPath ?? DEFAULT_SOCKET;
  const limit = opts.maxConnections ?? DEFAULT_MAX_CONNECTIONS;
  if (!Number.isInteger(limit) || limit < 1) throw new Error(`maxConnections must be >= 1, found ${limit}`);
  const tracer = opts.tracer ?? tracerFromEnv();
  const kernel = tracer ? tracer.wrap(opts.kernel, 'kernel') : opts.kernel;
  const warm = new WarmCaches();
  const own = opts.plugins ?? ownPlugins(() => kernel, warm, tracer);
  const plugins = tracer
    ? new Map([...own].map(([type, p]) => [type, tracer.wrap(p, 'config', ['loadConf'])]))
    : own;
  const metrics = new AgentMetrics();
  metrics.addCollector(processCollector);
  metrics.addCollector(() => warm.poolMetrics());
  for (const c of opts.collectors ?? []) metrics.addCollector(c);

  // Processes the agent spawns (external delegates, and through them possibly our own shims) must
  // not come back through this socket: they would wait behind the very request that spawned them.
  process.env['TRUNKLINE_NO_AGENT'] = '1';

  const gate = new Gate(limit, opts.maxQueue ?? limit * 16);
  const checkpoints = new QuietCheckpoints(
    () => warm.backends(),
    () => gate.inFlight + gate.queued > 0,
  );
  const server = new SocketServer(
    socketPath,
    gate,
    {
      plugins,
      serializer: new KeyedSerializer(),
      metrics,
      requestTimeoutMs: opts.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS,
      ...(tracer ? { tracer } : {}),
      idle: () => checkpoints.idle(),
    },
    { ...DEFAULT_LIMITS, ...opts.limits },
    peerCheck(opts.allowUid),
  );
  let http: HttpEndpoint | undefined;
  let state: 'starting' | 'ready' | 'stopping' = 'starting';
  try {
    if (opts.metricsPort !== undefined) {
      http = await startHttp(opts.metricsHost ?? '127.0.0.1', opts.metricsPort, metrics, () =>
        readiness(state, warm.unsyncedCaches(), `${[...plugins.keys()].join(', ')} on ${socketPath}`),
      );
    }
    await server.listen(opts.listenFd);
    if (opts.allowUid !== undefined) await chown(socketPath, opts.allowUid, 0);
  } catch (e) {
    await http?.close();
    checkpoints.stop();
    await warm.close();
    await tracer?.close();
    throw e;
  }
  state = 'ready';
  log('info', 'agent ready', {
    socket: socketPath,
    ...(opts.listenFd !== undefined ? { activated: true } : {}),
    ...(http ? { metricsPort: http.port } : {}),
    maxConnections: limit,
    plugins: [...plugins.keys()],
  });

  let closed: Promise<{ drained: boolean }> | undefined;
  const close = (graceMs = 30_000) => {
    closed ??= (async () => {
      state = 'stopping';
      log('info', 'agent stopping', { pending: server.pending });
      let timer: NodeJS.Timeout | undefined;
      const drained = await Promise.race([
        server.close().then(() => true),
        new Promise<boolean>((r) => {
          timer = setTimeout(() => r(false), graceMs);
        }),
      ]);
      clearTimeout(timer);
      await http?.close();
      checkpoints.stop();
      // Stores are closed only when nothing is running any more; an undrained stop leaves them to exit.
      if (drained) await warm.close();
      await tracer?.close();
      log(drained ? 'info' : 'warn', 'agent stopped', { drained, pending: server.pending });
      return { drained };
    })();
    return closed;
  };
  return { socketPath, metricsPort: http?.port, metrics, plugins, close };
}
