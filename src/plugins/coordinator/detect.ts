// Gateway and IP-conflict detection, before the coordinator changes anything, so a failure leaves
// nothing of its own behind (the runtime's DEL then releases the address).
import type { Kernel } from '../../kernel/types.js';
import { addrOf } from '../../net/cidr.js';
import { familyOf } from '../../net/ip.js';
import { GatewayUnreachable, IpConflict } from './errors.js';
import type { Prober } from './probe.js';
import type { Attachment, CoordinatorConf } from './types.js';

async function gateways(kernel: Kernel, att: Attachment): Promise<string[]> {
  const out = Object.values(att.gateways).filter((g): g is string => g !== undefined);
  if (out.length > 0) return out;
  // No gateway in prevResult: use the NIC's default routes, as Spiderpool does.
  const routes = await kernel.listRoutes(att.netns, { table: 'all' });
  return routes
    .filter((r) => (r.dst === '0.0.0.0/0' || r.dst === '::/0') && r.dev === att.ifname && r.gw)
    .map((r) => r.gw!);
}

export async function detect(
  kernel: Kernel,
  prober: Prober,
  conf: CoordinatorConf,
  att: Attachment,
): Promise<void> {
  if (!conf.detectGateway && !conf.detectIPConflict) return;
  const o = conf.detect;
  const checks: Promise<void>[] = [];
  if (conf.detectGateway) {
    for (const gw of await gateways(kernel, att)) {
      const src = att.podIps.find((c) => familyOf(c) === familyOf(gw));
      if (src === undefined) continue;
      checks.push(
        prober.reachable(att.netns, att.ifname, gw, addrOf(src), o).then((ok) => {
          if (!ok) throw new GatewayUnreachable(gw, att.ifname, o.retries, o.timeoutMs);
        }),
      );
    }
  }
  if (conf.detectIPConflict) {
    const own = (await kernel.getLink(att.netns, att.ifname)).mac;
    for (const c of att.podIps) {
      const ip = addrOf(c);
      checks.push(
        prober.conflicts(att.netns, att.ifname, ip, own, o).then((holders) => {
          if (holders.length > 0) throw new IpConflict(ip, att.ifname, holders);
        }),
      );
    }
  }
  const results = await Promise.allSettled(checks);
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
}
