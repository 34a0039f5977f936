// Which kernel backend the in-process plugins use: netlink (a native addon, no process per
// operation) when it loads, else iproute2 (one `ip` process per operation, batched per namespace).
import { log } from '../cni/log.js';
import { Iproute2Kernel } from '../kernel/iproute2/kernel.js';
import { createNetlinkKernel } from '../kernel/netlink/index.js';
import type { Kernel } from '../kernel/types.js';

type KernelChoice = 'auto' | 'netlink' | 'iproute2';

export async function selectKernel(choice: KernelChoice): Promise<Kernel> {
  const iproute2 = new Iproute2Kernel();
  if (choice === 'iproute2') return iproute2;
  const nl = createNetlinkKernel(undefined, iproute2);
  if (nl) return nl;
  if (choice === 'netlink')
    throw new Error('the netlink backend is not available (dist/lib/trunkline_netlink.node)');
  log('warn', 'netlink addon not found, using the iproute2 backend');
  return iproute2;
}
