// The coordinator plugin table. Kernel and prober are injectable (agent, tests).
import type { Plugin } from '../../cni/plugin.js';
import { defaultKernel } from '../../kernel/index.js';
import type { Kernel } from '../../kernel/types.js';
import { add } from './add.js';
import { check } from './check.js';
import { loadConf } from './conf.js';
import { del } from './del.js';
import { gc } from './gc.js';
import { type Prober, toolProber } from './probe.js';
import { status } from './status.js';
import type { CoordinatorConf } from './types.js';

export function coordinatorPlugin(
  kernel: () => Kernel = defaultKernel,
  prober: Prober = toolProber,
): Plugin<CoordinatorConf> {
  return {
    name: 'trunkline-coordinator',
    loadConf: (raw, env) => loadConf(raw, env),
    add: (inv) => add(kernel(), prober, inv),
    del: (inv) => del(kernel(), inv),
    check: (inv) => check(kernel(), inv),
    status: (inv) => status(prober, inv),
    gc: (inv) => gc(kernel(), inv),
  };
}
