// `trunkline agent [--socket P] [--metrics-port N] [--max-connections N] [--max-queue N]
//  [--kernel auto|netlink|iproute2]`: runs the node agent until SIGTERM/SIGINT, then drains.
import {
  DEFAULT_MAX_CONNECTIONS,
  DEFAULT_METRICS_PORT,
  DEFAULT_REQUEST_TIMEOUT_MS,
  DEFAULT_SOCKET,
  startAgent,
} from '../agent/agent.js';
import { selectKernel } from '../agent/kernel.js';
import { DEFAULT_LIMITS, type ServerLimits } from '../agent/server.js';

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

function parse(argv: string[]): Parsed | string {
  const out: Parsed = {
    socket: DEFAULT_SOCKET,
    metricsPort: DEFAULT_METRICS_PORT,
    maxConnections: DEFAULT_MAX_CONNECTIONS,
    maxQueue: undefined,
    kernel: 'auto',
    graceMs: 30_000,
    requestTimeoutMs: DEFAULT_REQUEST_TIMEOUT_MS,
    limits: { ...DEFAULT_LIMITS },
    allowUid: undefined,
  };
  // Times end up in setTimeout, which takes at most 2^31-1 ms; counts and sizes stay far below that.
  const MAX = 2 ** 31 - 1;
  const int = (flag: string, v: string | undefined, min: number): number | string => {
    const n = Number(v);
    return v !== undefined && /^\d{1,10}$/.test(v) && n >= min && n <= MAX
      ? n
      : `${flag}: expected an integer in ${min}..${MAX}, found ${v ?? 'nothing'}`;
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const [flag, inline] = a.includes('=')
      ? [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)]
      : [a, undefined];
    const value = () => inline ?? argv[++i];
    switch (flag) {
      case '--socket': {
        const v = value();
        if (!v?.startsWith('/')) return `--socket: expected an absolute path, found ${v ?? 'nothing'}`;
        out.socket = v;
        break;
      }
      case '--metrics-port': {
        const v = value();
        if (v === 'off') out.metricsPort = undefined;
        else {
          const n = int(flag, v, 0);
          if (typeof n === 'string' || n > 65535) return typeof n === 'string' ? n : `${flag}: ${n} > 65535`;
          out.metricsPort = n;
        }
        break;
      }
      case '--max-connections':
      case '--max-queue':
      case '--grace-ms': {
        const n = int(flag, value(), flag === '--max-connections' ? 1 : 0);
        if (typeof n === 'string') return n;
        if (flag === '--max-connections') out.maxConnections = n;
        else if (flag === '--max-queue') out.maxQueue = n;
        else out.graceMs = n;
        break;
      }
      case '--request-timeout-ms':
      case '--max-open':
      case '--request-memory':
      case '--idle-ms': {
        const n = int(flag, value(), 1);
        if (typeof n === 'string') return n;
        if (flag === '--request-timeout-ms') out.requestTimeoutMs = n;
        else if (flag === '--max-open') out.limits.maxOpen = n;
        else if (flag === '--request-memory') out.limits.requestMemory = n;
        else out.limits.idleMs = n;
        break;
      }
      case '--allow-uid': {
        const n = int(flag, value(), 1);
        if (typeof n === 'string') return n;
        out.allowUid = n;
        break;
      }
      case '--kernel': {
        const v = value();
        if (v !== 'auto' && v !== 'netlink' && v !== 'iproute2')
          return `--kernel: expected auto, netlink or iproute2, found ${v ?? 'nothing'}`;
        out.kernel = v;
        break;
      }
      default:
        return `unknown option ${a}`;
    }
  }
  return out;
}

export async function agentCommand(argv: string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(USAGE);
    return 0;
  }
  const p = parse(argv);
  if (typeof p === 'string') {
    process.stderr.write(`trunkline agent: ${p}\n${USAGE}`);
    return 2;
  }
  process.env['TRUNKLINE_LOG_LEVEL'] ??= 'info';
  // Kernel changes run on the libuv pool (the netlink backend), and some wait in the kernel for an RCU
  // grace period: room for that many pods at once. Read when the pool starts, i.e. on first use.
  process.env['UV_THREADPOOL_SIZE'] ??= '32';
  const kernel = await selectKernel(p.kernel);
  const agent = await startAgent({
    socketPath: p.socket,
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
