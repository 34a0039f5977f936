// Policy routing inside the pod for a NIC with its own table (net1 → 100 …): the NIC's routes move
// from main to its table, `to <its subnets>` and `from <its addresses>` rules point there, and the
// table gets a default route through the NIC's gateway so replies leave through the NIC they came in
// on. With podDefaultRouteNic naming the new NIC, the previous default NIC's routes move instead.
import { invalidConfig } from '../../cni/errors.js';
import { Exists, isGone } from '../../kernel/errors.js';
import type { Kernel, Route, Rule } from '../../kernel/types.js';
import { cidrKey, hostCidr } from '../../net/cidr.js';
import { familyOf } from '../../net/ip.js';
import { isLinkScoped } from './ipnet.js';
import { type Plan, sameRoute } from './plan.js';
import { type Attachment, type CoordinatorConf, FIRST_POD_TABLE, MAIN_TABLE } from './types.js';

const isDefault = (r: Route): boolean => r.dst === '0.0.0.0/0' || r.dst === '::/0';

/** Routes without a gateway first: a gateway must be reachable in the table before a route uses it. */
const directFirst = (a: Route, b: Route): number => Number(a.gw !== undefined) - Number(b.gw !== undefined);

function movable(r: Route, dev: string): boolean {
  return (
    r.dev === dev && (r.type === undefined || r.type === 'unicast') && (isDefault(r) || !isLinkScoped(r.dst))
  );
}

/** A route as it will sit in another table: the listing's fields, with the table swapped. */
function inTable(r: Route, table: number): Route {
  const { table: _t, type: _ty, ...rest } = r;
  return table === MAIN_TABLE ? rest : { ...rest, table };
}

async function ignoreGone(p: Promise<unknown>): Promise<void> {
  try {
    await p;
  } catch (e) {
    if (!isGone(e)) throw e;
  }
}

async function addRuleOnce(kernel: Kernel, ns: string, have: Rule[], rule: Rule): Promise<void> {
  const key = (r: Rule) =>
    `${r.table}|${r.from ? cidrKey(r.from) : ''}|${r.to ? cidrKey(r.to) : ''}|${r.fwmark ?? ''}`;
  if (have.some((h) => key(h) === key(rule))) return;
  await kernel.addRule(ns, rule);
  have.push(rule);
}

/** Which NIC keeps the default route in main, and whose routes move to this NIC's table. */
async function choose(
  kernel: Kernel,
  conf: CoordinatorConf,
  att: Attachment,
  main: Route[],
): Promise<{ moveNic: string | undefined }> {
  const defNics = main.filter((r) => isDefault(r) && r.dev).map((r) => r.dev!);
  let keep = conf.podDefaultRouteNic;
  // A NIC named for the default route but not attached yet (a later netN) leaves things as they are.
  if (keep !== undefined && !(await kernel.findLink(att.netns, keep))) keep = undefined;
  // The pod's first NIC not attached yet (runtimes attach in no fixed order: podman's `--network a,b`)
  // will be the default NIC, as if it had come first: this NIC's routes go to its own table.
  const first = conf.podDefaultCniNic;
  if (keep === undefined && att.ifname !== first && !(await kernel.findLink(att.netns, first))) keep = first;
  keep ??= defNics.includes(first) ? first : (defNics[0] ?? att.ifname);
  if (keep === att.ifname) return { moveNic: defNics.find((d) => d !== att.ifname) };
  const other = defNics.find((d) => d !== keep && d !== att.ifname);
  if (other !== undefined) {
    throw invalidConfig(
      `podDefaultRouteNic "${keep}" cannot take the default route from "${other}"`,
      `only "${att.ifname}" (the NIC being added) or the NIC already holding the default route are supported`,
    );
  }
  return { moveNic: att.ifname };
}

export async function tune(kernel: Kernel, conf: CoordinatorConf, att: Attachment): Promise<void> {
  if (att.table === MAIN_TABLE || (!conf.tunePodRoutes && !conf.policyRoutes)) return;
  const ns = att.netns;
  for (const fam of new Set(att.podIps.map(familyOf))) {
    const main = await kernel.listRoutes(ns, { family: fam });
    const rules = await kernel.listRules(ns, fam);
    // Without tuning, policy routing alone: copy the NIC's routes, move nothing.
    const { moveNic } = conf.tunePodRoutes ? await choose(kernel, conf, att, main) : { moveNic: att.ifname };
    if (moveNic === undefined) continue;
    const moved = main.filter((r) => movable(r, moveNic)).sort(directFirst);
    for (const r of moved)
      if (!isDefault(r)) await addRuleOnce(kernel, ns, rules, { family: fam, to: r.dst, table: att.table });
    const sources =
      moveNic === att.ifname
        ? att.podIps.filter((c) => familyOf(c) === fam)
        : (await kernel.listAddrs(ns, moveNic))
            .filter((a) => a.family === fam && a.scope === 'global')
            .map((a) => a.cidr);
    for (const c of sources)
      await addRuleOnce(kernel, ns, rules, { family: fam, from: hostCidr(c), table: att.table });
    for (const r of moved) {
      await kernel.replaceRoute(ns, inTable(r, att.table));
      if (conf.tunePodRoutes) await ignoreGone(kernel.delRoute(ns, r));
    }
    const gw = att.gateways[fam];
    if (moveNic === att.ifname && gw && !moved.some(isDefault)) {
      const def: Route = {
        family: fam,
        dst: fam === 4 ? '0.0.0.0/0' : '::/0',
        gw,
        dev: att.ifname,
        table: att.table,
      };
      await kernel.replaceRoute(ns, def);
    }
  }
}

/** Tables the coordinator gives pod NICs (net1 → 100 …), not the kernel's reserved ones. */
const isPodTable = (t: number, hostRuleTable: number): boolean =>
  t >= FIRST_POD_TABLE && t < FIRST_POD_TABLE + 1000 && (t < 253 || t > 255) && t !== hostRuleTable;

/** Undoes tune: drops this table's rules, puts moved routes back in main, empties the table. */
export async function untune(
  kernel: Kernel,
  att: Attachment,
  plan: Plan,
  hostRuleTable: number,
): Promise<boolean> {
  if (att.table === MAIN_TABLE) return false;
  const ns = att.netns;
  for (const fam of [4, 6] as const) {
    for (const r of await kernel.listRules(ns, fam)) {
      if (r.table === att.table) await ignoreGone(kernel.delRule(ns, r));
    }
  }
  const all = await kernel.listRoutes(ns, { table: 'all' });
  for (const r of all.filter((x) => x.table === att.table).sort(directFirst)) {
    const ours = plan.podRoutes.some((w) => sameRoute(r, w));
    if (!ours && !(isDefault(r) && r.dev === att.ifname && r.gw === att.gateways[r.family])) {
      // add, not replace: a route main already has (a copy, or another NIC's default) stays as it is.
      await kernel.addRoute(ns, inTable(r, MAIN_TABLE)).catch((e) => {
        if (!(e instanceof Exists) && !isGone(e)) throw e;
      });
    }
    await ignoreGone(kernel.delRoute(ns, r));
  }
  // Report whether another coordinated NIC still relies on the shared main-table routes.
  return all.some(
    (r) => r.table !== undefined && r.table !== att.table && isPodTable(r.table, hostRuleTable),
  );
}
