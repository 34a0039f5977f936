// The IPAM operation behind ADD: select pools for this NIC, take one address per configured family
// in a single store transaction (dual stack is all-or-nothing), and build the CNI result. A holder
// that already has addresses gets them back unchanged (idempotent ADD).
import { invalidConfig } from '../cni/errors.js';
import type { AllocateResult, Allocation, AllocationStore, FamilyRequest, Holder } from '../store/types.js';
import { ANNO_POD_ROUTES, parsePodRoutes } from './annotations.js';
import { IpTakenError, NoEligiblePoolError, PoolExhaustedError, type Who } from './errors.js';
import { type Family, formatIp, intervalsContain, parseCidr, parseIp } from './ranges.js';
import { buildResult, type IpamResult } from './result.js';
import { type FamilyChoice, selectPools } from './select.js';
import { type SelectInput, whoOf } from './select-input.js';
import { pickRule, type RuleSource } from './select-rule.js';
import { allocateSticky, type Sticky } from './sticky.js';

export interface AllocateInput extends SelectInput {
  store: AllocationStore;
  containerId: string;
  /** CNI network name (config `name`), recorded so GC can be scoped to it. */
  network?: string;
  podUid?: string;
  /** runtimeConfig.ips (Multus `ips`): addresses, optionally with a prefix length. */
  requestedIps?: readonly string[];
  /** What this NIC held before (its SpiderEndpoint): asked for again, taken over from its old holder. */
  sticky?: Sticky;
}

interface AllocateOutput extends IpamResult {
  allocations: Allocation[];
  /** True when the holder already had its addresses (repeated ADD). */
  reused: boolean;
  source?: RuleSource;
  /** Whether the NIC's default route through the pool gateway was left out (Spiderpool's cleanGateway). */
  cleanGateway: boolean;
}

function holderOf(input: AllocateInput): Holder {
  const ns = input.pod?.metadata.namespace ?? input.podNamespace;
  const name = input.pod?.metadata.name ?? input.podName;
  const uid = input.pod?.metadata.uid ?? input.podUid;
  return {
    containerId: input.containerId,
    ifname: input.ifname,
    ...(input.network ? { network: input.network } : {}),
    ...(ns ? { podNamespace: ns } : {}),
    ...(name ? { podName: name } : {}),
    ...(uid ? { podUid: uid } : {}),
  };
}

function routeOptions(input: SelectInput, cleanGateway: boolean) {
  const who = whoOf(input);
  return {
    cleanGateway,
    customRoutes: parsePodRoutes(`pod ${who.pod}`, input.pod?.metadata.annotations?.[ANNO_POD_ROUTES]),
  };
}

function parseRequested(list: readonly string[]): Map<Family, string> {
  const out = new Map<Family, string>();
  list.forEach((raw, i) => {
    const text = raw.includes('/') ? raw.slice(0, raw.indexOf('/')) : raw;
    const a = parseIp(text);
    if (a === undefined) throw invalidConfig(`runtimeConfig.ips[${i}]: "${raw}" is not an IP address`);
    if (out.has(a.family))
      throw invalidConfig(`runtimeConfig.ips: more than one IPv${a.family} address requested`);
    out.set(a.family, formatIp(a.family, a.value));
  });
  return out;
}

/** Why a requested address cannot come from the eligible pools. */
function requestedMisfit(ip: string, choice: FamilyChoice): string {
  const a = parseIp(ip)!;
  for (const c of choice.candidates) {
    const s = parseCidr(c.pool.spec.subnet);
    if (a.value >= s.network && a.value <= s.broadcast) {
      return `requested address ${ip} is in pool "${c.name}" but excluded, reserved, the gateway or outside spec.ips`;
    }
  }
  const names = choice.candidates.map((c) => `"${c.name}"`).join(', ');
  return `requested address ${ip} is not inside any eligible pool (${names || 'none'})`;
}

function failure(r: Exclude<AllocateResult, { ok: true }>, who: Who): Error {
  switch (r.reason) {
    case 'exhausted':
      return new PoolExhaustedError(who, r.family, r.pools);
    case 'taken': {
      const h = r.holder;
      const pod = h.podNamespace && h.podName ? `pod ${h.podNamespace}/${h.podName} ` : '';
      return new IpTakenError(who, r.ip, r.pool, `${pod}container ${h.containerId} interface ${h.ifname}`);
    }
    case 'outside':
      return new NoEligiblePoolError(
        who,
        `requested address ${r.ip} is not inside pools ${r.pools.join(', ')}`,
      );
  }
}

export async function allocate(input: AllocateInput): Promise<AllocateOutput> {
  const who = whoOf(input);
  const pools = new Map(input.pools.map((p) => [p.metadata.name, p]));
  const existing = await input.store.get({ containerId: input.containerId, ifname: input.ifname });
  if (existing.length > 0) {
    let clean = false;
    try {
      clean = pickRule(input).cleanGateway;
    } catch {
      // The rule may no longer apply (pools edited); the held addresses are still returned.
    }
    return {
      ...buildResult(existing, pools, routeOptions(input, clean)),
      allocations: existing,
      reused: true,
      cleanGateway: clean,
    };
  }

  const selection = selectPools(input);
  if (selection.families.length === 0) {
    // Spiderpool fails such an ADD too: a NIC that asked for IPAM and would get no address is an error.
    throw new NoEligiblePoolError(
      who,
      `no IP allocation: the selection rule (${selection.source}) names no IPv4 and no IPv6 pool for this interface`,
      ['expected at least one pool name in "ipv4" or "ipv6"'],
    );
  }
  const requested = parseRequested(input.requestedIps ?? []);
  const requests: FamilyRequest[] = [];
  for (const [family, ip] of requested) {
    if (!selection.families.some((f) => f.family === family)) {
      throw new NoEligiblePoolError(
        who,
        `requested address ${ip} but the selection rule (${selection.source}) names no IPv${family} pool`,
      );
    }
  }
  for (const choice of selection.families) {
    const rejected = choice.rejected.map((r) => `"${r.pool}": ${r.reason}`);
    if (choice.candidates.length === 0) {
      throw new NoEligiblePoolError(
        who,
        `none of the IPv${choice.family} pools [${choice.patterns.join(', ')}] (from ${selection.source}) may serve it`,
        rejected,
      );
    }
    const ip = requested.get(choice.family);
    if (ip === undefined) {
      requests.push({
        family: choice.family,
        candidates: choice.candidates.map((c) => ({
          pool: c.name,
          family: c.family,
          intervals: c.intervals,
        })),
      });
      continue;
    }
    const v = parseIp(ip)!.value;
    const home = choice.candidates.find((c) => intervalsContain(c.intervals, v));
    // A request the selected pools cannot serve is bad input (code 7), not a pool shortage.
    if (home === undefined) {
      throw invalidConfig(
        `no eligible IP pool for pod ${who.pod} interface ${who.ifname}: ${requestedMisfit(ip, choice)}`,
        rejected.length > 0 ? `rejected: ${rejected.join('; ')}` : undefined,
      );
    }
    requests.push({
      family: choice.family,
      candidates: [{ pool: home.name, family: home.family, intervals: home.intervals }],
      requestedIp: ip,
    });
  }

  const r = await allocateSticky(input.store, holderOf(input), requests, input.sticky);
  if (!r.ok) throw failure(r, who);
  return {
    ...buildResult(r.allocations, pools, routeOptions(input, selection.cleanGateway)),
    allocations: r.allocations,
    reused: r.existing,
    source: selection.source,
    cleanGateway: selection.cleanGateway,
  };
}
