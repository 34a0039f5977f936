// The macvlan plugin table. The kernel is injectable so the agent (and tests) can choose a backend.
import type { Plugin } from '../../cni/plugin.js';
import { defaultKernel } from '../../kernel/index.js';
import type { Kernel } from '../../kernel/types.js';
import { add } from './add.js';
import { check } from './check.js';
import { loadConf } from './conf.js';
import { del } from './del.js';
import { gc } from './gc.js';
import { status } from './status.js';
import type { MacvlanConf } from './types.js';

export function macvlanPlugin(kernel: () => Kernel = defaultKernel): Plugin<MacvlanConf> {
  return {
    name: 'trunkline-macvlan',
    loadConf: (raw, env) => loadConf(raw, env, kernel()),
    add: (inv) => add(kernel(), inv),
    del: (inv) => del(kernel(), inv),
    check: (inv) => check(kernel(), inv),
    status: (inv) => status(kernel(), inv),
    gc: (inv) => gc(inv),
  };
}
