// `trunkline agent [--socket P] [--metrics-port N] [--max-connections N] [--max-queue N]
//  [--kernel auto|netlink|iproute2]`: runs the node agent until SIGTERM/SIGINT, then drains. Under
// systemd socket activation (deploy/systemd) it serves the socket it inherits, bound at --socket.
import { dirname } from 'node:path';
import { inheritedSocket } from '../agent/activation.js';
import {
  DEFAULT_MAX_CONNECTIONS,
  DEFAULT_METRICS_PORT,
  DEFAULT_REQUEST_TIMEOUT_MS,
  DEFAULT_SOCKET,
  startAgent,
} from '../agent/agent.js';
import { selectKernel } from '../agent/kernel.js';
import { DEFAULT_LIMITS, type ServerLimits } from '../agent/server.js';
import { type ArgsOf, parseCommand, usageError } from './args.js';
import { missingPrivilege } from './privilege.js';

const USAGE = `usage: trunkline agent [options]
  --socket PATH           unix socket (default ${DEFAULT_SOCKET})
  --metrics-port N        /metrics, /healthz, /readyz on 127.0.0.1:N (default ${DEFAULT_METRICS_PORT};
                          0 = any free port, "off" = none)
  --max-connections N     requests served at once (default ${DEFAULT_MAX_CONNECTIONS})
  --max-queue N           connections waiting for a slot before "busy" (default 16 x max-connections)
  --kernel K              auto | netlink | iproute2 (default auto: netlink when its addon loads)
  --grace-ms N            how long a stop waits for accepted requests (default 30000)
  --request-timeout-ms N  longest one request runs before code 11 (default ${DEFAULT_REQUEST_TIMEOUT_MS})
  --max-open N            connections open at once, reading or queued (default ${DEFAULT_LIMITS.maxOpen})
  --request-memory N      bytes of requests held at once (default ${DEFAULT_LIMITS.requestMemory})
  --idle-ms N             a connection silent this long is closed (default ${DEFAULT_LIMITS.idleMs})
  --allow-uid N           a non-root uid that may call the agent (the socket file is given to it)
`;

interface Parsed {
  socket: string;
  metricsPort: number | undefined;
  maxConnections: number;
  maxQueue: number | undefined;
  kernel: 'auto' | 'netlink' | 'iproute2';
  graceMs: number;
  requestTimeoutMs: number;
  limits: ServerLimits;
  allowUid: number | undefined;
}

export const AGENT_SPEC = {
  name: 'trunkline agent',
  usage: USAGE,
  options: {
    socket: { type: 'string' },
    'metrics-port': { type: 'string' },
    'max-connections': { type: 'string' },
    'max-queue': { type: 'string' },
    kernel: { type: 'string' },
    'grace-ms': { type: 'string' },
    'request-timeout-ms': { type: 'string' },
    'max-open': { type: 'string' },
    'request-memory': { type: 'string' },
    'idle-ms': { type: 'string' },
    'allow-uid': { type: 'string' },
  },
} as const;

// Times end up in setTimeout, which takes at most 2^31-1 ms; counts and sizes stay far below that.
const MAX = 2 ** 31 - 1;

function check(v: ArgsOf<typeof AGENT_SPEC.options>): Parsed | string {
  let bad: string | undefined;
  const int = <T>(flag: keyof typeof v, min: number, fallback: T): number | T => {
    const x = v[flag];
    if (typeof x !== 'string') return fallback;
    const n = Number(x);
    if (/^\d{1,10}$/.test(x) && n >= min && n <= MAX) return n;
    bad ??= `--${flag}: expected an integer in ${min}..${MAX}, found ${x}`;
    return fallback;
  };
  const socket = v.socket ?? DEFAULT_SOCKET;
  if (!socket.startsWith('/')) return `--socket: expected an absolute path, found ${socket}`;
  const metricsPort = v['metrics-port'] === 'off' ? undefined : int('metrics-port', 0, DEFAULT_METRICS_PORT);
  if (metricsPort !== undefined && metricsPort > 65535)
    return `--metrics-port: expected at most 65535, found ${metricsPort}`;
  const kernel = v.kernel ?? 'auto';
  if (kernel !== 'auto' && kernel !== 'netlink' && kernel !== 'iproute2')
    return `--kernel: expected auto, netlink or iproute2, found ${kernel}`;
  const parsed: Parsed = {
    socket,
    metricsPort,
    maxConnections: int('max-connections', 1, DEFAULT_MAX_CONNECTIONS),
    maxQueue: int('max-queue', 0, undefined),
    kernel,
    graceMs: int('grace-ms', 0, 30_000),
    requestTimeoutMs: int('request-timeout-ms', 1, DEFAULT_REQUEST_TIMEOUT_MS),
    limits: {
      ...DEFAULT_LIMITS,
      maxOpen: int('max-open', 1, DEFAULT_LIMITS.maxOpen),
      requestMemory: int('request-memory', 1, DEFAULT_LIMITS.requestMemory),
      idleMs: int('idle-ms', 1, DEFAULT_LIMITS.idleMs),
    },
    allowUid: int('allow-uid', 1, undefined),
  };
  return bad ?? parsed;
}

export async function agentCommand(argv: string[]): Promise<number> {
  const args = parseCommand(AGENT_SPEC, argv);
  if (typeof args === 'number') return args;
  const p = check(args.values);
  if (typeof p === 'string') return usageError(AGENT_SPEC.name, p, USAGE);
  const missing = missingPrivilege({ netAdmin: true, writes: [dirname(p.socket)] });
  if (missing !== undefined) {
    process.stderr.write(`trunkline agent: ${missing}\n`);
    return 1;
  }
  process.env['TRUNKLINE_LOG_LEVEL'] ??= 'info';
  // Every netlink call (socket, read, change, sysctl) runs on the libuv pool, and some wait in the
  // kernel for an RCU grace period or up to their reply timeout: room for that many pods at once. Read when the pool starts, i.e. on first use.
  process.env['UV_THREADPOOL_SIZE'] ??= '32';
  const listenFd = inheritedSocket();
  const kernel = await selectKernel(p.kernel);
  const agent = await startAgent({
    socketPath: p.socket,
    ...(listenFd !== undefined ? { listenFd } : {}),
    maxConnections: p.maxConnections,
    requestTimeoutMs: p.requestTimeoutMs,
    limits: p.limits,
    kernel,
    ...(p.allowUid !== undefined ? { allowUid: p.allowUid } : {}),
    ...(p.metricsPort !== undefined ? { metricsPort: p.metricsPort } : {}),
    ...(p.maxQueue !== undefined ? { maxQueue: p.maxQueue } : {}),
  });
  return new Promise<number>((resolve) => {
    const stop = () => {
      process.off('SIGTERM', stop);
      process.off('SIGINT', stop);
      agent.close(p.graceMs).then(
        ({ drained }) => resolve(drained ? 0 : 1),
        () => resolve(1),
      );
    };
    process.on('SIGTERM', stop);
    process.on('SIGINT', stop);
  });
}
