// The node agent as its CLI starts it, with one difference: its netlink backend holds the first
// `batch` call for each namespace whose path contains --hold-match. The hold is a real blocked netlink
// request (RTM_SETLINK without NLM_F_ACK: applied by the kernel, never answered) on the addon's
// thread pool, cut off by the addon's receive bound after --hold-ms; then the call proceeds. It
// stands for a slow dump or a namespace whose netlink work stalls. Arguments: --socket PATH
// --metrics-port N --kernel netlink [--request-timeout-ms N] --hold-match TEXT --hold-ms N.
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { startAgent } from '../../src/agent/agent.js';
import { log } from '../../src/cni/log.js';
import { Iproute2Kernel } from '../../src/kernel/iproute2/kernel.js';
import { ADDON_FILE, loadAddon } from '../../src/kernel/netlink/addon.js';
import { NetlinkKernel } from '../../src/kernel/netlink/kernel.js';
import type { BatchOp, Kernel, NetnsRef } from '../../src/kernel/types.js';
import { DIST } from '../helpers/paths.js';
import { silentRequest } from '../helpers/silent-netlink.js';

const { values: a } = parseArgs({
  options: {
    socket: { type: 'string' },
    'metrics-port': { type: 'string' },
    kernel: { type: 'string' },
    'request-timeout-ms': { type: 'string' },
    'hold-match': { type: 'string' },
    'hold-ms': { type: 'string' },
  },
});
const match = a['hold-match'] ?? '';
const holdMs = Number(a['hold-ms'] ?? '0');
const addon = loadAddon(join(DIST, 'lib', ADDON_FILE));
const real = new NetlinkKernel(addon, new Iproute2Kernel());
let seq = 1;
const heldOnce = new Set<string>();

async function hold(ns: string): Promise<void> {
  log('info', 'netlink held', { netns: ns, holdMs });
  const fd = await addon.socket(ns);
  const t0 = Date.now();
  try {
    await addon.transact(fd, silentRequest(seq++), holdMs);
    log('info', 'netlink hold ended', { netns: ns, code: 'answered', ms: Date.now() - t0 });
  } catch (e) {
    log('info', 'netlink hold ended', {
      netns: ns,
      code: (e as { code?: string }).code,
      ms: Date.now() - t0,
    });
  } finally {
    addon.close(fd);
  }
}

const kernel = new Proxy(real, {
  get(target, prop, receiver) {
    if (prop === 'batch')
      return async (ns: NetnsRef, ops: BatchOp[]) => {
        if (match !== '' && ns !== null && ns.includes(match) && !heldOnce.has(ns)) {
          heldOnce.add(ns);
          await hold(ns);
        }
        return target.batch(ns, ops);
      };
    const v = Reflect.get(target, prop, receiver) as unknown;
    return typeof v === 'function' ? v.bind(target) : v;
  },
}) as Kernel;

const agent = await startAgent({
  socketPath: a.socket ?? '',
  metricsPort: Number(a['metrics-port'] ?? '0'),
  kernel,
  ...(a['request-timeout-ms'] !== undefined ? { requestTimeoutMs: Number(a['request-timeout-ms']) } : {}),
});
process.once('SIGTERM', () => {
  void agent.close(5_000).then(() => process.exit(0));
});
