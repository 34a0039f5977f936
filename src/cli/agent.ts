// `trunkline agent [--socket P] [--metrics-port N] [--max-connections N] [--max-queue N]
//  [--kernel auto|netlink|iproute2]`: runs the node agent until SIGTERM/SIGINT, then drains.
import { dirname } from 'node:path';
import { DEFAULT_MAX_CONNECTIONS, DEFAULT_METRICS_PORT, DEFAULT_SOCKET, startAgent } from '../agent/agent.js';
import { selectKernel } from '../agent/kernel.js';
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
`;

interface Parsed {
  socket: string;
  metricsPort: number | undefined;
  maxConnections: number;
  maxQueue: number | undefined;
  kernel: 'auto' | 'netlink' | 'iproute2';
  graceMs: number;
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
  },
} as const;

function check(v: ArgsOf<typeof AGENT_SPEC.options>): Parsed | string {
  const int = (flag: string, x: string | undefined, min: number, fallback: number): number | string => {
    if (x === undefined) return fallback;
    const n = Number(x);
    return /^\d+$/.test(x) && n >= min ? n : `--${flag}: expected an integer >= ${min}, found ${x}`;
  };
  const socket = v.socket ?? DEFAULT_SOCKET;
  if (!socket.startsWith('/')) return `--socket: expected an absolute path, found ${socket}`;
  let metricsPort: number | undefined;
  if (v['metrics-port'] !== 'off') {
    const n = int('metrics-port', v['metrics-port'], 0, DEFAULT_METRICS_PORT);
    if (typeof n === 'string') return n;
    if (n > 65535) return `--metrics-port: expected at most 65535, found ${n}`;
    metricsPort = n;
  }
  const maxConnections = int('max-connections', v['max-connections'], 1, DEFAULT_MAX_CONNECTIONS);
  const maxQueue = int('max-queue', v['max-queue'], 0, -1);
  const graceMs = int('grace-ms', v['grace-ms'], 0, 30_000);
  for (const n of [maxConnections, maxQueue, graceMs]) if (typeof n === 'string') return n;
  const kernel = v.kernel ?? 'auto';
  if (kernel !== 'auto' && kernel !== 'netlink' && kernel !== 'iproute2')
    return `--kernel: expected auto, netlink or iproute2, found ${kernel}`;
  return {
    socket,
    metricsPort,
    maxConnections: maxConnections as number,
    maxQueue: maxQueue === -1 ? undefined : (maxQueue as number),
    kernel,
    graceMs: graceMs as number,
  };
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
  // Kernel changes run on the libuv pool (the netlink backend), and some wait in the kernel for an RCU
  // grace period: room for that many pods at once. Read when the pool starts, i.e. on first use.
  process.env['UV_THREADPOOL_SIZE'] ??= '32';
  const kernel = await selectKernel(p.kernel);
  const agent = await startAgent({
    socketPath: p.socket,
    maxConnections: p.maxConnections,
    kernel,
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
