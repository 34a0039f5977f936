// What an operator asks of a NetworkAttachmentDefinition: its plugin chain, the interface and VLAN it
// hangs off, standalone or overlay, and which pools its NICs draw from — each answered by the code the
// plugins run (Multus's config resolution, the macvlan plugin's ifacer, the IPAM's pool selection).
import type { NetworkAttachmentDefinition, SpiderIPPool, SpiderReservedIP } from '../cluster/types.js';
import { parseCniArgs } from '../cni/args.js';
import { CniError, errorText } from '../cni/errors.js';
import type { CniEnv, NetConf } from '../cni/types.js';
import { selectPools } from '../ipam/select.js';
import { validateReservedIP } from '../ipam/validate.js';
import { configFromSpec, isOverlayNetwork, NETWORK_MODE_ANNOTATION } from '../multus/nad.js';
import { loadConf as ipamConf } from '../plugins/ipam/conf.js';
import { parseIfacer } from '../plugins/macvlan/ifacer.js';

export interface NadSummary {
  /** namespace/name */
  name: string;
  mode: 'standalone' | 'overlay';
  /** Plugin types in call order; a plugin's IPAM type in brackets. */
  chain: string[];
  master?: string;
  vlan?: number;
  /** trunkline-ipam: pools a NIC of this network may draw from, per family, in the order tried. */
  pools: { ipv4: string[]; ipv6: string[] };
  /** Where pools come from when not named here: the pod's annotations, or another IPAM's own ranges. */
  poolsFrom?: string;
  /** Pools the network names or would use but may not (why). */
  rejected: { pool: string; reason: string }[];
  problems: string[];
}

type Rec = Record<string, unknown>;

// loadConf of DEL stops before anything that needs a pod or the host.
const STATIC_ENV: CniEnv = {
  command: 'DEL',
  containerId: 'trunkline-cli',
  netns: '',
  ifname: 'net1',
  args: parseCniArgs(''),
  path: [],
};

const POD_SCOPED = ['nodeName', 'nodeAffinity', 'namespaceName', 'namespaceAffinity', 'podAffinity'];

/** The pool as any pod on any node sees it: only the network's own constraints remain. */
function networkScope(p: SpiderIPPool): SpiderIPPool {
  const spec = Object.fromEntries(Object.entries(p.spec).filter(([k]) => !POD_SCOPED.includes(k)));
  return { ...p, spec: spec as SpiderIPPool['spec'] };
}

function masterOf(plugins: Rec[]): { master?: string; vlan?: number } {
  for (const p of plugins) {
    if (p.type === 'trunkline-macvlan') {
      const ifacer = parseIfacer(p);
      if (ifacer) return { master: ifacer.parent, ...(ifacer.vlanId ? { vlan: ifacer.vlanId } : {}) };
    }
    if (typeof p.master === 'string' && p.master !== '') {
      // No host to ask: a parent named <link>.<id> is a VLAN by the usual convention.
      const id = /\.(\d{1,4})$/.exec(p.master)?.[1];
      return { master: p.master, ...(id !== undefined && Number(id) <= 4094 ? { vlan: Number(id) } : {}) };
    }
  }
  return {};
}

function poolsOf(
  s: NadSummary,
  plugin: Rec,
  config: Rec,
  pools: readonly SpiderIPPool[],
  reserved: readonly SpiderReservedIP[],
): void {
  const conf = ipamConf(
    { ...plugin, cniVersion: config.cniVersion, name: config.name } as NetConf,
    STATIC_ENV,
  );
  const { defaultV4, defaultV6 } = conf.resolved;
  // No rule of the network's own: each pod's annotations choose (pickRule's first two rules).
  if (defaultV4.length + defaultV6.length === 0 && !pools.some((p) => p.spec.default === true)) {
    s.poolsFrom = 'pod annotations (ipam.spidernet.io/ippool[s])';
    return;
  }
  try {
    const sel = selectPools({
      pools: pools.map(networkScope),
      // An unparsable reservation is its own object's problem (validate reports it), not this network's.
      reserved: reserved.filter((r) => validateReservedIP(r).length === 0),
      ifname: 'net1',
      multusName: s.name,
      multusNamespace: conf.resolved.multusNamespace,
      defaults: { ipv4: defaultV4, ipv6: defaultV6 },
    });
    for (const f of sel.families) {
      s.pools[f.family === 4 ? 'ipv4' : 'ipv6'] = f.candidates.map((c) => c.name);
      s.rejected.push(...f.rejected);
      if (f.candidates.length === 0)
        s.problems.push(`no usable IPv${f.family} pool among ${f.patterns.join(', ')}`);
    }
  } catch (e) {
    if (!(e instanceof CniError)) throw e;
    // No pod here: the IPAM's "for pod (unknown pod) interface net1" says nothing.
    s.problems.push(e.message.replace(/ (for|selected for) pod \S+( \S+)? interface net1/, ''));
  }
}

export function summarizeNad(
  nad: NetworkAttachmentDefinition,
  pools: readonly SpiderIPPool[],
  reserved: readonly SpiderReservedIP[],
): NadSummary {
  const s: NadSummary = {
    name: `${nad.metadata.namespace}/${nad.metadata.name}`,
    mode: 'standalone',
    chain: [],
    pools: { ipv4: [], ipv6: [] },
    rejected: [],
    problems: [],
  };
  try {
    const parsed = configFromSpec(nad);
    const marked = nad.metadata.annotations?.[NETWORK_MODE_ANNOTATION] === 'overlay';
    if (parsed === undefined) {
      s.problems.push('empty spec.config: the node resolves it from a CNI config file of the same name');
      if (marked) s.mode = 'overlay';
      return s;
    }
    if (isOverlayNetwork({ overlay: marked, config: parsed.config })) s.mode = 'overlay';
    const plugins = (parsed.isList ? parsed.config.plugins : [parsed.config]) as Rec[];
    for (const p of plugins) {
      const ipam = (p.ipam as Rec | undefined)?.type;
      s.chain.push(typeof ipam === 'string' ? `${p.type}[${ipam}]` : String(p.type));
    }
    Object.assign(s, masterOf(plugins));
    const withIpam = plugins.find(
      (p) => p.type === 'trunkline-ipam' || (p.ipam as Rec | undefined)?.type === 'trunkline-ipam',
    );
    if (withIpam) poolsOf(s, withIpam, parsed.config, pools, reserved);
    else {
      const other = plugins.map((p) => (p.ipam as Rec | undefined)?.type).find((t) => typeof t === 'string');
      if (other !== undefined) s.poolsFrom = `${other} (its own ranges)`;
    }
  } catch (e) {
    if (!(e instanceof CniError)) throw e;
    s.problems.push(errorText(e));
  }
  return s;
}
