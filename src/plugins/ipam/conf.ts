// loadConf: the IPAM section is read from `ipam` of the parent's config (how main plugins delegate),
// or from the top level when the config's own type is trunkline-ipam. Everything is validated here,
// before the store or the manifests are touched.
import { hostname } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_MANIFEST_DIR, DEFAULT_STATE_DIR } from '../../cluster/local/source.js';
import { podRefFromArgs } from '../../cni/args.js';
import { invalidConfig } from '../../cni/errors.js';
import type { CniEnv, NetConf } from '../../cni/types.js';
import { parseStoreConf } from '../../store/index.js';
import type { IpamConf } from './types.js';

const TYPE = 'trunkline-ipam';

function poolList(v: unknown, field: string): string[] {
  if (v === undefined || v === null) return [];
  // Spiderpool accepts a single name as well as a list.
  if (typeof v === 'string') return v === '' ? [] : [v];
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'string' || x === '')) {
    throw invalidConfig(`ipam.${field} must be a list of pool names`);
  }
  return v as string[];
}

function optString(v: unknown, field: string): string | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'string' || v === '') throw invalidConfig(`ipam.${field} must be a non-empty string`);
  return v;
}

function optBool(v: unknown, field: string): boolean {
  if (v === undefined) return false;
  if (typeof v !== 'boolean')
    throw invalidConfig(`ipam.${field} must be true or false, found ${JSON.stringify(v)}`);
  return v;
}

/** match_master_subnet compares pools with the master's addresses, so it needs one master name. */
function matchMaster(raw: NetConf, on: boolean): string | undefined {
  if (!on) return undefined;
  const m = raw['master'];
  if (typeof m !== 'string' || m === '') {
    throw invalidConfig(
      `ipam.match_master_subnet needs the network's "master" interface name, found ${JSON.stringify(m)}`,
    );
  }
  return m;
}

/**
 * Addresses the caller asks for: runtimeConfig.ips (the "ips" capability) and CNI_ARGS IP=a[,b]
 * (podman --ip, Multus's per-network "ips"), as the reference host-local honours both. The same
 * address given both ways counts once.
 */
function requestedIps(raw: NetConf, env: CniEnv): string[] {
  const ips = raw.runtimeConfig?.ips ?? [];
  if (!Array.isArray(ips) || ips.some((x) => typeof x !== 'string')) {
    throw invalidConfig('runtimeConfig.ips must be a list of addresses');
  }
  const fromArgs = (env.args.get('IP') ?? '').split(',').filter((x) => x !== '');
  const bare = (a: string) => a.split('/')[0];
  const out = [...(ips as string[])];
  for (const a of fromArgs) if (!out.some((x) => bare(x) === bare(a))) out.push(a);
  return out;
}

/** The SQLite database follows stateDir unless the store names its own path. */
function storeConf(section: Record<string, unknown>, stateDir: string | undefined) {
  const store = parseStoreConf(section['store'], 'ipam.store');
  if (stateDir === undefined || (store.type ?? 'sqlite') !== 'sqlite' || 'path' in store) return store;
  return { ...store, path: join(stateDir, 'ipam.db') };
}

export function loadConf(raw: NetConf, env: CniEnv): IpamConf {
  const section = (raw.ipam?.type === TYPE ? raw.ipam : raw.type === TYPE ? raw : undefined) as
    | Record<string, unknown>
    | undefined;
  if (section === undefined) throw invalidConfig(`no "${TYPE}" IPAM section in the network config`);
  const multusName = optString(section['multusName'], 'multusName');
  const kubeconfig = optString(section['kubeconfig'], 'kubeconfig');
  const pod = podRefFromArgs(env.args);
  const stateDir = optString(section['stateDir'], 'stateDir');
  const clusterNetwork =
    optString(section['multusClusterNetwork'], 'multusClusterNetwork') ||
    process.env['MULTUS_CLUSTER_NETWORK'] ||
    undefined;
  const master = matchMaster(raw, optBool(section['match_master_subnet'], 'match_master_subnet'));
  return {
    ...raw,
    resolved: {
      defaultV4: poolList(section['default_ipv4_ippool'], 'default_ipv4_ippool'),
      defaultV6: poolList(section['default_ipv6_ippool'], 'default_ipv6_ippool'),
      store: storeConf(section, stateDir),
      manifestDir: optString(section['manifestDir'], 'manifestDir') ?? DEFAULT_MANIFEST_DIR,
      stateDir: stateDir ?? DEFAULT_STATE_DIR,
      nodeName: optString(section['nodeName'], 'nodeName') ?? (process.env['NODE_NAME'] || hostname()),
      multusNamespace: optString(section['multusNamespace'], 'multusNamespace') ?? 'kube-system',
      ...(multusName !== undefined ? { multusName } : {}),
      ...(clusterNetwork !== undefined ? { multusClusterNetwork: clusterNetwork } : {}),
      cleanGateway: optBool(section['clean_gateway'], 'clean_gateway'),
      ...(master !== undefined ? { matchMaster: master } : {}),
      ...(kubeconfig !== undefined ? { kubeconfig } : {}),
      ...(pod !== undefined ? { pod } : {}),
      requestedIps: requestedIps(raw, env),
    },
  };
}
