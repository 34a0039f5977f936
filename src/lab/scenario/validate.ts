// Cross-manifest checks before anything is built, each naming the manifest and the field: unknown
// NADs, pods on unknown nodes, an overlay network as default-network, pools outside their VLAN's
// subnet, pools that cannot serve every pod that draws from them, expectations about unknown pods.

import type { SpiderIPPool, SpiderReservedIP } from '../../cluster/types.js';
import { errorText } from '../../cni/errors.js';
import { hasWildcard } from '../../ipam/labels.js';
import { count, parseCidr, poolFamily, poolIntervals, reservedIntervals } from '../../ipam/ranges.js';
import { validatePools } from '../../ipam/validate.js';
import { issueAt, type ScenarioIssue } from '../errors.js';
import type { Manifest, Scenario } from '../types.js';
import {
  keyOf,
  type NadInfo,
  nodeIfaceNames,
  type PodAttachment,
  podAttachments,
  readNad,
  vlanOfMaster,
} from './model.js';
import { expandPools, poolNamesFor } from './pool-names.js';

const IPAM_TYPE = 'trunkline-ipam';

/** "spec.ips[1]" → ['spec', 'ips', 1] */
const toPath = (field: string): (string | number)[] =>
  field
    .split(/\.|\[|\]/)
    .filter((s) => s !== '')
    .map((s) => (/^\d+$/.test(s) ? Number(s) : s));

export function validateScenario(s: Scenario): ScenarioIssue[] {
  const issues: ScenarioIssue[] = [];
  const bad = (m: Manifest, path: (string | number)[], msg: string) =>
    issues.push(issueAt(m.origin, path, msg));
  const byKind = (k: string) => s.manifests.filter((m) => m.kind === k);
  const seen = new Map<string, Manifest>();
  for (const m of s.manifests) {
    const k = `${m.kind} ${keyOf(m)}`;
    const prev = seen.get(k);
    if (prev)
      bad(
        m,
        ['metadata', 'name'],
        `${k} is defined twice (first at ${prev.origin.file}:${prev.origin.line})`,
      );
    else seen.set(k, m);
  }

  const poolManifests = byKind('SpiderIPPool');
  const pools = new Map(poolManifests.map((m) => [m.metadata.name, { m, pool: asPool(m) }]));
  for (const [name, list] of validatePools([...pools.values()].map((p) => p.pool))) {
    const m = pools.get(name)?.m;
    if (m) for (const i of list) bad(m, toPath(i.field), i.message);
  }
  const reserved = byKind('SpiderReservedIP').map((m) => ({
    metadata: { name: m.metadata.name },
    spec: m.spec as SpiderReservedIP['spec'],
  }));

  const nads = new Map<string, NadInfo>();
  for (const m of byKind('NetworkAttachmentDefinition')) {
    const info = readNad(m);
    if (typeof info === 'string') {
      bad(m, ['spec', 'config'], info);
      continue;
    }
    nads.set(info.key, info);
    if (info.master !== undefined && !s.nodes.some((n) => nodeIfaceNames(n, s.variant).has(info.master!))) {
      const have = s.nodes
        .map((n) => `${n.name}: ${[...nodeIfaceNames(n, s.variant)].join(', ')}`)
        .join('; ');
      bad(m, ['spec', 'config'], `master "${info.master}" is not an interface of any lab node (${have})`);
    }
  }

  const nodes = new Set(s.nodes.map((n) => n.name));
  const namespaces = new Map(byKind('Namespace').map((m) => [m.metadata.name, m]));
  const capacity = new Map<string, { free: bigint; users: string[]; m: Manifest }>();
  for (const [name, { m, pool }] of pools) {
    try {
      const usable = count(
        poolIntervals(pool, reservedIntervals(reserved as SpiderReservedIP[], poolFamily(pool))),
      );
      capacity.set(name, { free: usable, users: [], m });
    } catch {
      // validatePools reported it
    }
  }
  const podNames = new Map<string, Manifest>();
  const podIfaces = new Map<string, PodAttachment[]>();
  for (const pod of byKind('Pod')) {
    const id = keyOf(pod);
    const other = podNames.get(pod.metadata.name);
    if (other)
      bad(
        pod,
        ['metadata', 'name'],
        `another pod is also named ${pod.metadata.name} (${keyOf(other)}); lab pod namespaces are named after the pod, so names must be unique`,
      );
    podNames.set(pod.metadata.name, pod);
    const nodeName = pod.spec?.['nodeName'];
    if (typeof nodeName !== 'string')
      bad(
        pod,
        ['spec', 'nodeName'],
        `missing: put the pod on one of the lab nodes (${[...nodes].join(', ')})`,
      );
    else if (!nodes.has(nodeName))
      bad(pod, ['spec', 'nodeName'], `unknown node "${nodeName}" (lab nodes: ${[...nodes].join(', ')})`);
    let atts: PodAttachment[];
    try {
      atts = podAttachments(pod);
    } catch (e) {
      const msg = errorText(e);
      const field = msg.includes('default-network')
        ? 'v1.multus-cni.io/default-network'
        : 'k8s.v1.cni.cncf.io/networks';
      bad(pod, ['metadata', 'annotations', field], msg);
      continue;
    }
    podIfaces.set(id, atts);
    const ns = pod.metadata.namespace ?? 'default';
    for (const a of atts) {
      if (a.nad === undefined) continue;
      const field = ['metadata', 'annotations', a.annotation!];
      const nad = nads.get(a.nad);
      if (nad === undefined) {
        const known = [...nads.keys()].join(', ') || 'none';
        bad(
          pod,
          field,
          `NetworkAttachmentDefinition ${a.nad} does not exist in the scenario (defined: ${known})`,
        );
        continue;
      }
      if (a.isDefault && nad.overlay) {
        bad(
          pod,
          field,
          `${a.nad} is an overlay network (coordinator mode "overlay"): it cannot be the default network (eth0 and the default route belong to the cluster's overlay); list it in k8s.v1.cni.cncf.io/networks or use a standalone network`,
        );
        continue;
      }
      if (nad.ipam?.['type'] !== IPAM_TYPE) continue;
      const names = poolNamesFor(pod, a, nad, namespaces.get(ns), (p, msg) => bad(pod, p, msg));
      if (names === undefined) continue;
      const matched = expandPools(names.list, [...pools.keys()]);
      for (const n of names.list) {
        if (!hasWildcard(n) && !pools.has(n))
          bad(
            pod,
            names.field,
            `SpiderIPPool "${n}" does not exist in the scenario (defined: ${[...pools.keys()].join(', ') || 'none'})`,
          );
      }
      const vlan = nad.master !== undefined ? vlanOfMaster(s, nad.master) : undefined;
      const vlanSubnet = s.vlans.find((v) => v.id === vlan)?.subnet;
      for (const p of matched) {
        const entry = pools.get(p)!;
        const mn = entry.pool.spec.multusName;
        if (mn !== undefined && mn.length > 0 && !mn.includes(a.nad))
          bad(
            entry.m,
            ['spec', 'multusName'],
            `pod ${id} ${a.ifname} (${a.nad}) asks for this pool, but it only serves ${mn.join(', ')}`,
          );
        if (vlanSubnet !== undefined && !inside(entry.pool.spec.subnet, vlanSubnet))
          bad(
            entry.m,
            ['spec', 'subnet'],
            `${entry.pool.spec.subnet} is not in VLAN ${vlan}'s subnet ${vlanSubnet}, but pod ${id} ${a.ifname} takes an address from it on ${a.nad} (master ${nad.master}, VLAN ${vlan})`,
          );
      }
      const slot = matched.map((p) => capacity.get(p)).find((c) => c !== undefined && c.free > 0n);
      const who = `${id} ${a.ifname}`;
      if (slot) {
        slot.free -= 1n;
        slot.users.push(who);
      } else if (matched.length > 0) {
        for (const p of matched) capacity.get(p)?.users.push(`${who} (none left)`);
        const first = pools.get(matched[0]!)!;
        bad(
          first.m,
          ['spec', 'ips'],
          `exhausted: pod ${who} gets no address; ${matched.join(', ')} ${matched.length > 1 ? 'have' : 'has'} ${matched.map((p) => capacity.get(p)?.users.filter((u) => !u.endsWith('(none left)')).length ?? 0).reduce((x, y) => x + y, 0)} usable address(es), all taken by ${matched.flatMap((p) => capacity.get(p)?.users.filter((u) => !u.endsWith('(none left)')) ?? []).join(', ')}`,
        );
      }
    }
  }

  s.nodes.forEach((n, i) => {
    const names = nodeIfaceNames(n, s.variant);
    n.addresses.forEach((a, j) => {
      if (!names.has(a.interface))
        issues.push(
          issueAt(
            s.origin,
            ['spec', 'nodes', i, 'addresses', j, 'interface'],
            `${a.interface} is not an interface of node ${n.name} (${[...names].join(', ')})`,
          ),
        );
    });
  });

  for (const e of s.expectations) {
    for (const ref of [e.from, e.to]) {
      const id = `${ref.namespace}/${ref.name}`;
      const atts = podIfaces.get(id);
      if (!byKind('Pod').some((p) => keyOf(p) === id))
        issues.push(issueAt(s.origin, e.path, `pod ${id} is not defined in the scenario`));
      else if (ref.iface !== undefined && atts !== undefined && !atts.some((a) => a.ifname === ref.iface))
        issues.push(
          issueAt(
            s.origin,
            e.path,
            `pod ${id} has no interface ${ref.iface} (it has ${atts.map((a) => a.ifname).join(', ')})`,
          ),
        );
    }
  }
  return issues;
}

function asPool(m: Manifest): SpiderIPPool {
  return { metadata: { name: m.metadata.name }, spec: (m.spec ?? {}) as SpiderIPPool['spec'] };
}

function inside(cidr: string, outer: string): boolean {
  try {
    const a = parseCidr(cidr);
    const b = parseCidr(outer);
    return (
      a.family === b.family && a.prefix >= b.prefix && a.network >= b.network && a.broadcast <= b.broadcast
    );
  } catch {
    return true; // a bad CIDR is reported by pool validation
  }
}
