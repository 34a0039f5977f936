// loadConf: validates everything before any side effect. DEL deliberately skips the master lookup so a
// deleted master never makes DEL fail (reference behaviour since v1.4).
import { assertKnownArgs } from '../../cni/args.js';
import { validateIfname } from '../../cni/env.js';
import { CniError, Code, invalidConfig } from '../../cni/errors.js';
import { isMac } from '../../cni/ip.js';
import type { CniEnv, NetConf } from '../../cni/types.js';
import { LinkNotFound, NetnsNotFound } from '../../kernel/errors.js';
import type { Kernel, MacvlanMode } from '../../kernel/types.js';
import { checkHostLocal } from './hostlocal.js';
import { parseIfacer } from './ifacer.js';
import { type MacvlanConf, MODES } from './types.js';

function parseMode(mode: unknown): MacvlanMode {
  if (mode === undefined || mode === '') return 'bridge';
  if (typeof mode === 'string' && (MODES as readonly string[]).includes(mode)) return mode as MacvlanMode;
  throw invalidConfig(`unknown macvlan mode: ${JSON.stringify(mode)}`, `expected one of ${MODES.join(', ')}`);
}

function resolveMac(raw: NetConf, env: CniEnv): string | undefined {
  let mac = typeof raw['mac'] === 'string' && raw['mac'] !== '' ? raw['mac'] : undefined;
  if (env.args.raw !== '') {
    assertKnownArgs(env.args, ['MAC']);
    const argMac = env.args.get('MAC');
    if (argMac) mac = argMac;
  }
  const rtMac = raw.runtimeConfig?.mac;
  if (typeof rtMac === 'string' && rtMac !== '') mac = rtMac;
  if (mac === undefined) return undefined;
  if (!isMac(mac))
    throw invalidConfig(`invalid MAC address "${mac}"`, 'expected six colon-separated hex octets');
  return mac.toLowerCase().replaceAll('-', ':');
}

async function defaultRouteInterface(kernel: Kernel, ns: string | null): Promise<string> {
  for (const family of [4, 6] as const) {
    const routes = await kernel.listRoutes(ns, { family });
    const def = routes.find((r) => (r.dst === '0.0.0.0/0' || r.dst === '::/0') && r.dev);
    if (def?.dev) return def.dev;
  }
  throw invalidConfig('no default route interface found', 'set "master" in the network config');
}

export async function loadConf(raw: NetConf, env: CniEnv, kernel: Kernel): Promise<MacvlanConf> {
  const mtu = raw['mtu'] ?? 0;
  if (typeof mtu !== 'number' || !Number.isInteger(mtu))
    throw invalidConfig(`"mtu" must be an integer, found ${JSON.stringify(mtu)}`);
  const ifacer = parseIfacer(raw);
  if (!ifacer && raw['master'] !== undefined && typeof raw['master'] !== 'string')
    throw invalidConfig('"master" must be a string');
  const macvlanMode = parseMode(raw['mode']);
  const linkInContainer = raw['linkInContainer'] === true;
  const ipamType = raw.ipam?.type;
  if (raw.ipam !== undefined && typeof ipamType !== 'string')
    throw invalidConfig('"ipam.type" must be a string');
  if (ipamType === 'host-local') checkHostLocal(raw.ipam as Record<string, unknown>, raw.runtimeConfig);
  const effectiveMac = resolveMac(raw, env);
  const conf: MacvlanConf = {
    ...raw,
    master: ifacer?.parent ?? (raw['master'] as string | undefined) ?? '',
    ...(ifacer ? { ifacer } : {}),
    macvlanMode,
    mtu,
    ...(effectiveMac ? { effectiveMac } : {}),
    ...(ipamType ? { ipamType } : {}),
  };
  if (env.command === 'DEL' || env.command === 'GC') return conf;
  // The kernel answers a malformed name with ERANGE, which would surface as an internal error.
  const badName = conf.master === '' ? undefined : validateIfname(conf.master);
  if (badName !== undefined)
    throw invalidConfig(
      `"master" is not a valid interface name: ${badName}`,
      'master names a host interface',
    );

  const masterNs = linkInContainer ? env.netns : null;
  try {
    if (conf.master === '') conf.master = await defaultRouteInterface(kernel, masterNs);
    const master = await kernel.getLink(masterNs, conf.master);
    conf.masterMtu = master.mtu;
  } catch (e) {
    // An on-demand parent does not exist before the first ADD creates it; ADD checks the MTU then.
    if (e instanceof LinkNotFound && conf.ifacer) return conf;
    if (e instanceof LinkNotFound) {
      throw invalidConfig(
        `failed to lookup master "${conf.master}": link not found`,
        `master must be an existing interface${linkInContainer ? ' in the container namespace' : ''}`,
        { cause: e },
      );
    }
    if (e instanceof NetnsNotFound)
      throw new CniError(
        Code.UnknownContainer,
        `failed to open netns "${env.netns}": no such namespace`,
        undefined,
        {
          cause: e,
        },
      );
    throw e;
  }
  checkMtu(conf);
  return conf;
}

export function checkMtu(conf: MacvlanConf): void {
  const { mtu, masterMtu } = conf;
  if (mtu < 0 || (masterMtu !== undefined && mtu > masterMtu)) {
    throw invalidConfig(
      `invalid MTU ${mtu}, must be [0, master MTU(${masterMtu ?? '?'})]`,
      `master is ${conf.master}`,
    );
  }
}
