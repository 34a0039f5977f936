// SpiderMultusConfig → NetworkAttachmentDefinition, as Spiderpool's multuscniconfig controller builds
// it, with Trunkline's plugins in the chain: the on-demand bond/VLAN parent (Spiderpool's separate
// ifacer plugin) is asked of trunkline-macvlan itself, IPAM is trunkline-ipam, and the coordinator
// follows when enabled. Pure: the reconciler owns every API call.

export interface Smc {
  metadata: {
    name: string;
    namespace: string;
    uid?: string;
    annotations?: Record<string, string>;
  };
  spec?: {
    cniType?: string;
    enableCoordinator?: boolean;
    disableIPAM?: boolean;
    coordinator?: Record<string, unknown> & { mode?: string };
    macvlan?: {
      master?: string[];
      vlanID?: number;
      bond?: { name: string; mode?: number | string; options?: string };
      mtu?: number;
      ippools?: { ipv4?: string[]; ipv6?: string[] };
    };
  };
}

interface NadSpec {
  annotations: Record<string, string>;
  config: string;
}

export const SMC = {
  group: 'spiderpool.spidernet.io',
  version: 'v2beta1',
  plural: 'spidermultusconfigs',
} as const;
const CNI_VERSION_ANNOTATION = 'multus.spidernet.io/cni-version';
/** Spiderpool: the generated NAD's name when set (its webhook forbids changing it later). */
export const CR_NAME_ANNOTATION = 'multus.spidernet.io/cr-name';
/** Spiderpool: the CNI config's `name` when set (else the NAD's name). */
const CNI_CONFIG_NAME_ANNOTATION = 'cni.spidernet.io/cniconfig-name';
const MODE_ANNOTATION = 'trunkline.io/network-mode';
/** Spiderpool's default when the SMC does not name a CNI version. */
const DEFAULT_CNI_VERSION = '0.3.1';

export class UnsupportedSmc extends Error {
  override name = 'UnsupportedSmc';
}

function macvlan(smc: Smc): Record<string, unknown> {
  const m = smc.spec?.macvlan;
  const masters = m?.master ?? [];
  if (masters.length === 0)
    throw new UnsupportedSmc('spec.macvlan.master: expected at least one interface, found none');
  if (masters.length > 1 && m?.bond === undefined)
    throw new UnsupportedSmc(
      `spec.macvlan.master lists ${masters.length} interfaces: expected spec.macvlan.bond`,
    );
  const conf: Record<string, unknown> = { type: 'trunkline-macvlan', mode: 'bridge' };
  // One master without a bond: the plain string form, which the plugin reads as "create <master>.<vlanID>".
  conf['master'] = masters.length === 1 && m?.bond === undefined ? masters[0] : masters;
  if (m?.bond !== undefined) {
    conf['bond'] = {
      name: m.bond.name,
      ...(m.bond.mode !== undefined ? { mode: m.bond.mode } : {}),
      ...(m.bond.options ? { options: m.bond.options } : {}),
    };
  }
  if (m?.vlanID !== undefined && m.vlanID !== 0) conf['vlanID'] = m.vlanID;
  if (m?.mtu !== undefined && m.mtu !== 0) conf['mtu'] = m.mtu;
  if (smc.spec?.disableIPAM !== true) {
    // The pools an SMC names are SpiderIPPools: allocate in their status, as Spiderpool does (the
    // plugin's own default, a per-node SQLite file, would hand one address to pods on two nodes).
    const ipam: Record<string, unknown> = { type: 'trunkline-ipam', store: { type: 'kubernetes' } };
    if (m?.ippools?.ipv4?.length) ipam['default_ipv4_ippool'] = m.ippools.ipv4;
    if (m?.ippools?.ipv6?.length) ipam['default_ipv6_ippool'] = m.ippools.ipv6;
    conf['ipam'] = ipam;
  }
  return conf;
}

function coordinator(smc: Smc): Record<string, unknown> {
  const { podDefaultRouteNIC, policyRoutes: _ignored, ...rest } = smc.spec?.coordinator ?? {};
  return {
    type: 'trunkline-coordinator',
    ...rest,
    ...(podDefaultRouteNIC !== undefined ? { podDefaultRouteNic: podDefaultRouteNIC } : {}),
  };
}

/** The name of the NAD an SMC generates. */
export const nadNameOf = (smc: Smc): string =>
  smc.metadata.annotations?.[CR_NAME_ANNOTATION] || smc.metadata.name;

/** The NAD's annotations and config for an SMC; throws UnsupportedSmc for what we do not generate. */
export function smcToNad(smc: Smc): NadSpec {
  const cniType = smc.spec?.cniType;
  if (cniType !== 'macvlan')
    throw new UnsupportedSmc(`spec.cniType: expected macvlan, found ${String(cniType)}`);
  const annotations = { ...(smc.metadata.annotations ?? {}) };
  const cniVersion = annotations[CNI_VERSION_ANNOTATION] || DEFAULT_CNI_VERSION;
  const plugins = [macvlan(smc)];
  if (smc.spec?.enableCoordinator !== false) {
    plugins.push(coordinator(smc));
    if (smc.spec?.coordinator?.mode === 'overlay') annotations[MODE_ANNOTATION] = 'overlay';
  }
  const name = annotations[CNI_CONFIG_NAME_ANNOTATION] || nadNameOf(smc);
  const config = JSON.stringify({ cniVersion, name, plugins });
  return { annotations, config };
}
