// The meta plugin table (`type: trunkline`). Kernel and cluster source are injectable so the agent
// and tests can choose backends.
import type { Plugin } from '../../cni/plugin.js';
import { defaultKernel } from '../../kernel/index.js';
import { add } from './add.js';
import { check } from './check.js';
import { loadConf } from './conf.js';
import { del } from './del.js';
import type { MetaDeps } from './deps.js';
import { gc } from './gc.js';
import { makeSource } from './source.js';
import { status } from './status.js';
import type { MetaConf } from './types.js';

export function metaPlugin(overrides: Partial<MetaDeps> = {}): Plugin<MetaConf> {
  const deps: MetaDeps = {
    kernel: overrides.kernel ?? defaultKernel,
    source: overrides.source ?? makeSource,
  };
  return {
    name: 'trunkline',
    loadConf: (raw, env) => loadConf(raw, env),
    add: (inv) => add(deps, inv),
    del: (inv) => del(deps, inv),
    check: (inv) => check(inv),
    status: (inv) => status(deps, inv),
    gc: (inv) => gc(deps, inv),
  };
}
