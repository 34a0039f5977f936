// Resolves which NIC is being coordinated and how: mode (auto → underlay for the pod's first NIC or
// when veth0 already exists, overlay otherwise), its addresses, table and the host-side link.
import { CniError, Code, invalidConfig } from '../../cni/errors.js';
import type { Result } from '../../cni/types.js';
import { isGone } from '../../kernel/errors.js';
import type { Kernel, Link } from '../../kernel/types.js';
import { familyOf } from '../../net/ip.js';
import { hostVethName, tableFor } from './node.js';
import { type Attachment, type CoordinatorConf, UNDERLAY_VETH } from './types.js';

export interface Target {
  netns: string;
  ifname: string;
  containerId: string;
}

/** This NIC's addresses and gateways as the previous plugin reported them. */
export function nicConfig(
  prev: Result | undefined,
  t: Target,
): { ips: string[]; gateways: Attachment['gateways'] } {
  const gateways: Attachment['gateways'] = {};
  if (!prev?.ips?.length) return { ips: [], gateways };
  const idx = (prev.interfaces ?? []).findIndex(
    (i) => i.name === t.ifname && (i.sandbox === undefined || i.sandbox === '' || i.sandbox === t.netns),
  );
  const mine = prev.ips.filter((ip) => ip.interface === undefined || ip.interface === idx);
  for (const ip of mine) {
    const fam = familyOf(ip.address);
    if (ip.gateway && gateways[fam] === undefined) gateways[fam] = ip.gateway;
  }
  return { ips: mine.map((ip) => ip.address), gateways };
}

async function podLink(kernel: Kernel, ns: string, name: string): Promise<Link | undefined> {
  try {
    return await kernel.findLink(ns, name);
  } catch (e) {
    if (isGone(e)) return undefined;
    throw e;
  }
}

/** The host end of a pod veth: the host link whose index is the pod link's peer index. */
export async function hostPeer(kernel: Kernel, pod: Link): Promise<Link | undefined> {
  if (pod.kind !== 'veth' || pod.parentIndex === undefined) return undefined;
  return (await kernel.listLinks(null)).find((l) => l.index === pod.parentIndex && l.kind === 'veth');
}

/**
 * `podPresent` false (DEL after the sandbox is gone) resolves what can be known without the pod:
 * underlay iff the NIC is the first one.
 */
export async function resolveAttachment(
  kernel: Kernel,
  conf: CoordinatorConf,
  t: Target,
  prev: Result | undefined,
  podPresent: boolean,
): Promise<Attachment> {
  const { ips, gateways } = nicConfig(prev, t);
  let podIps = ips;
  if (podIps.length === 0 && podPresent) {
    podIps = (await kernel.listAddrs(t.netns, t.ifname).catch(() => []))
      .filter((a) => a.scope === 'global')
      .map((a) => a.cidr);
  }
  const veth0 = podPresent ? await podLink(kernel, t.netns, UNDERLAY_VETH) : undefined;
  let mode = conf.mode;
  if (mode === 'auto') mode = t.ifname === conf.podDefaultCniNic || veth0 ? 'underlay' : 'overlay';
  const table = tableFor(t.ifname, conf);
  const base = { ...t, podIps, gateways, table };
  if (mode === 'underlay') {
    return {
      ...base,
      mode,
      viaNic: UNDERLAY_VETH,
      hostVeth: hostVethName(t.containerId),
      ownsVeth: t.ifname === conf.podDefaultCniNic,
    };
  }
  if (t.ifname === conf.podDefaultCniNic) {
    throw invalidConfig(
      `overlay mode cannot coordinate the pod's first interface "${t.ifname}"`,
      'in overlay mode the overlay CNI owns it; use underlay (or auto) for a macvlan first NIC',
    );
  }
  let hostVeth = '';
  if (podPresent) {
    const eth0 = await podLink(kernel, t.netns, conf.podDefaultCniNic);
    const peer = eth0 ? await hostPeer(kernel, eth0) : undefined;
    hostVeth = peer?.name ?? '';
  }
  return { ...base, mode: 'overlay', viaNic: conf.podDefaultCniNic, hostVeth, ownsVeth: false };
}

/**
 * Whether this ADD must create veth0: it is shared by every underlay NIC of the pod, and runtimes
 * attach networks in no fixed order (podman 4.3 walks a Go map for `--network a,b`), so whichever
 * underlay NIC comes first creates it and the others, the first NIC included, use it. A veth0 whose
 * host end is not this container's is refused.
 */
export async function vethToCreate(kernel: Kernel, att: Attachment): Promise<boolean> {
  if (att.mode !== 'underlay') return false;
  const veth0 = await podLink(kernel, att.netns, UNDERLAY_VETH);
  if (veth0 === undefined) return true;
  const peer = await hostPeer(kernel, veth0);
  if (peer?.name !== att.hostVeth)
    throw new CniError(
      Code.InvalidEnv,
      `interface ${UNDERLAY_VETH} already exists in ${att.netns}, and its host end is ${peer?.name ?? 'not on the host'}, not ${att.hostVeth}`,
      'the underlay coordinator creates it for the pod',
    );
  return false;
}

/** ADD-time preconditions Spiderpool enforces, so a mode mismatch fails before any change. */
export async function assertUsable(kernel: Kernel, conf: CoordinatorConf, att: Attachment): Promise<void> {
  const veth0 = await podLink(kernel, att.netns, UNDERLAY_VETH);
  if (att.mode === 'overlay') {
    if (veth0) {
      throw invalidConfig(
        `overlay mode for ${att.ifname}, but ${UNDERLAY_VETH} exists: the first NIC was coordinated as underlay`,
      );
    }
    if (att.hostVeth === '') {
      throw invalidConfig(
        `overlay mode needs "${conf.podDefaultCniNic}" to be a veth whose peer is in the host namespace`,
        `found none for ${conf.podDefaultCniNic} in ${att.netns}`,
      );
    }
  }
}
