// The trunkline-ipam plugin table (Spiderpool-compatible pools, embedded store).
import type { Plugin } from '../../cni/plugin.js';
import { add } from './add.js';
import { check } from './check.js';
import { loadConf } from './conf.js';
import { del } from './del.js';
import { defaultDeps, type IpamDeps } from './deps.js';
import { gc } from './gc.js';
import { status } from './status.js';
import type { IpamConf } from './types.js';

export type { IpamDeps } from './deps.js';

export function ipamPlugin(deps: IpamDeps = defaultDeps): Plugin<IpamConf> {
  return {
    name: 'trunkline-ipam',
    loadConf: (raw, env) => loadConf(raw, env),
    add: (inv) => add(deps, inv),
    del: (inv) => del(deps, inv),
    check: (inv) => check(deps, inv),
    status: (inv) => status(deps, inv),
    gc: (inv) => gc(deps, inv),
  };
}
