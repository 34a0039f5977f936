// The routes, rules and neighbours one coordinated NIC needs, computed the same way for ADD, CHECK
// and DEL so that DEL removes exactly what ADD installed and CHECK verifies the same set.
import { CniError, Code } from '../../cni/errors.js';
import { isGone } from '../../kernel/errors.js';
import type { BatchOp, Kernel, Neighbour, Route, Rule } from '../../kernel/types.js';
import { addrOf, cidrKey, hostCidr, networkCidr } from '../../net/cidr.js';
import { familyOf } from '../../net/ip.js';
import { nodeCidrs } from './conf.js';
import { nextHop, nodeAddresses } from './node.js';
import { type Attachment, type CoordinatorConf, HOST_RULE_PRIORITY, MAIN_TABLE } from './types.js';

export interface Plan {
  nodeIps: string[];
  hops: { 4?: string; 6?: string };
  /** Pod routes in this NIC's table (main for the first NIC). */
  podRoutes: Route[];
  /** Overlay only: the same routes in main, shared by every coordinated NIC of the pod. */
  podMainRoutes: Route[];
  podNeigh: Neighbour[];
  hostRules: Rule[];
  hostRoutes: Route[];
  hostNeigh: Neighbour[];
}

export interface VethMacs {
  pod: string;
  host: string;
}

export async function buildPlan(
  kernel: Kernel,
  conf: CoordinatorConf,
  att: Attachment,
  macs?: VethMacs,
): Promise<Plan> {
  const families = new Set(att.podIps.map(familyOf));
  const nodeIps = await nodeAddresses(kernel, families);
  const hops: Plan['hops'] = {};
  for (const fam of families) {
    const cidr = att.podIps.find((c) => familyOf(c) === fam)!;
    const hop = await nextHop(kernel, cidr, nodeIps);
    if (hop) hops[fam] = hop;
  }
  const table = att.table === MAIN_TABLE ? {} : { table: att.table };
  const toNode: Route[] = nodeIps.map((ip) => ({
    family: familyOf(ip),
    dst: hostCidr(ip),
    dev: att.viaNic,
    scope: 'link',
  }));
  const viaNode: Route[] = [];
  for (const cidr of nodeCidrs(conf)) {
    const fam = familyOf(cidr);
    const gw = hops[fam];
    // Spiderpool skips a family the node cannot be reached in rather than failing the pod.
    if (gw && families.has(fam)) viaNode.push({ family: fam, dst: networkCidr(cidr), gw, dev: att.viaNic });
  }
  const podRoutes = [...toNode, ...viaNode].map((r) => ({ ...r, ...table }));
  const podMainRoutes = att.mode === 'overlay' ? [...toNode, ...viaNode] : [];
  // Static neighbours come with setting the pair up: by its owner, or by a later NIC that had to create it.
  const owned = att.mode === 'underlay' && macs !== undefined;
  const podNeigh: Neighbour[] = owned
    ? nodeIps.map((ip) => ({ family: familyOf(ip), ip, mac: macs.host, dev: att.viaNic, state: 'PERMANENT' }))
    : [];
  const hostNeigh: Neighbour[] = owned
    ? att.podIps.map((c) => ({
        family: familyOf(c),
        ip: addrOf(c),
        mac: macs.pod,
        dev: att.hostVeth,
        state: 'PERMANENT',
      }))
    : [];
  const hostRules: Rule[] = att.podIps.map((c) => ({
    family: familyOf(c),
    to: hostCidr(c),
    table: conf.hostRuleTable,
    priority: HOST_RULE_PRIORITY,
  }));
  // Without a known host link (DEL after the sandbox is gone) the route is matched on any device.
  const hostRoutes: Route[] = att.podIps.map((c) => ({
    family: familyOf(c),
    dst: hostCidr(c),
    ...(att.hostVeth !== '' ? { dev: att.hostVeth } : {}),
    scope: 'link',
    table: conf.hostRuleTable,
  }));
  return { nodeIps, hops, podRoutes, podMainRoutes, podNeigh, hostRules, hostRoutes, hostNeigh };
}

const tableOf = (r: { table?: number }): number => r.table ?? MAIN_TABLE;

export function sameRoute(have: Route, want: Route): boolean {
  return (
    cidrKey(have.dst) === cidrKey(want.dst) &&
    tableOf(have) === tableOf(want) &&
    (want.dev === undefined || have.dev === want.dev) &&
    (want.gw === undefined || (have.gw !== undefined && cidrKey(have.gw) === cidrKey(want.gw)))
  );
}

const sameRuleTarget = (have: Rule, want: Rule): boolean =>
  have.table === want.table && have.to !== undefined && cidrKey(have.to) === cidrKey(want.to!);

/** Host rules for the pod's addresses left by an earlier sandbox that was never deleted. */
async function dropHostRules(kernel: Kernel, rules: Rule[]): Promise<void> {
  for (const fam of new Set(rules.map((r) => r.family))) {
    const have = await kernel.listRules(null, fam);
    for (const h of have) {
      if (!rules.some((w) => sameRuleTarget(h, w))) continue;
      await kernel.delRule(null, h).catch((e) => {
        if (!isGone(e)) throw e;
      });
    }
  }
}

export async function applyHost(kernel: Kernel, plan: Plan): Promise<void> {
  await dropHostRules(kernel, plan.hostRules);
  const ops: BatchOp[] = [
    ...plan.hostNeigh.map((n): BatchOp => ({ op: 'setNeighbour', n })),
    ...plan.hostRoutes.map((route): BatchOp => ({ op: 'replaceRoute', route })),
    ...plan.hostRules.map((rule): BatchOp => ({ op: 'addRule', rule })),
  ];
  if (ops.length > 0) await kernel.batch(null, ops);
}

export async function applyPod(kernel: Kernel, ns: string, plan: Plan): Promise<void> {
  // Node routes first: the Service/pod CIDR routes use a node address as their next hop.
  const ops: BatchOp[] = [
    ...plan.podNeigh.map((n): BatchOp => ({ op: 'setNeighbour', n })),
    ...[...plan.podRoutes, ...plan.podMainRoutes].map((route): BatchOp => ({ op: 'replaceRoute', route })),
  ];
  if (ops.length > 0) await kernel.batch(ns, ops);
}

async function bestEffort(step: () => Promise<unknown>): Promise<void> {
  try {
    await step();
  } catch (e) {
    if (!isGone(e)) throw e;
  }
}

export async function removeHost(kernel: Kernel, plan: Plan): Promise<void> {
  await dropHostRules(kernel, plan.hostRules);
  const have = await kernel.listRoutes(null, { table: 'all' });
  for (const h of have) {
    if (plan.hostRoutes.some((w) => sameRoute(h, w))) await bestEffort(() => kernel.delRoute(null, h));
  }
}

export async function removePodRoutes(kernel: Kernel, ns: string, routes: Route[]): Promise<void> {
  if (routes.length === 0) return;
  const have = await kernel.listRoutes(ns, { table: 'all' });
  for (const h of have) {
    if (routes.some((w) => sameRoute(h, w))) await bestEffort(() => kernel.delRoute(ns, h));
  }
}

function missing(what: string, where: string, details?: string): CniError {
  return new CniError(Code.Internal, `${what} not found in ${where}`, details);
}

export async function verifyHost(kernel: Kernel, plan: Plan): Promise<void> {
  for (const fam of new Set(plan.hostRules.map((r) => r.family))) {
    const have = await kernel.listRules(null, fam);
    for (const w of plan.hostRules.filter((r) => r.family === fam)) {
      if (!have.some((h) => sameRuleTarget(h, w)))
        throw missing(`rule "to ${w.to} lookup ${w.table}"`, 'the host namespace');
    }
  }
  const routes = await kernel.listRoutes(null, { table: 'all' });
  for (const w of plan.hostRoutes) {
    if (!routes.some((h) => sameRoute(h, w)))
      throw missing(`route ${w.dst} dev ${w.dev} table ${w.table}`, 'the host namespace');
  }
}

export async function verifyPod(kernel: Kernel, ns: string, plan: Plan): Promise<void> {
  const routes = await kernel.listRoutes(ns, { table: 'all' });
  for (const w of [...plan.podRoutes, ...plan.podMainRoutes]) {
    if (!routes.some((h) => sameRoute(h, w))) {
      throw missing(
        `route ${w.dst}${w.gw ? ` via ${w.gw}` : ''} dev ${w.dev} table ${tableOf(w)}`,
        `pod ${ns}`,
      );
    }
  }
  for (const dev of new Set(plan.podNeigh.map((n) => n.dev))) {
    const have = await kernel.listNeighbours(ns, dev);
    for (const w of plan.podNeigh.filter((n) => n.dev === dev)) {
      if (!have.some((h) => h.ip === w.ip && h.mac.toLowerCase() === w.mac.toLowerCase()))
        throw missing(`neighbour ${w.ip} lladdr ${w.mac} on ${dev}`, `pod ${ns}`);
    }
  }
}

/**
 * Host rules to a pod address whose route in hostRuleTable is gone (the sandbox was removed without
 * a DEL, or DEL ran without knowing the addresses). Returns how many were removed.
 */
export async function sweepHostRules(kernel: Kernel, hostRuleTable: number): Promise<number> {
  const routes = (await kernel.listRoutes(null, { table: hostRuleTable }).catch(() => [] as Route[])).map(
    (r) => cidrKey(r.dst),
  );
  let n = 0;
  for (const fam of [4, 6] as const) {
    for (const r of await kernel.listRules(null, fam)) {
      if (r.table !== hostRuleTable || r.priority !== HOST_RULE_PRIORITY || r.to === undefined) continue;
      if (routes.includes(cidrKey(r.to))) continue;
      await bestEffort(() => kernel.delRule(null, r));
      n++;
    }
  }
  return n;
}
