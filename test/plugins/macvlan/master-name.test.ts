// A master that cannot be an interface name is a config error (7) on every kernel backend: the
// netlink backend used to pass it to the kernel, whose ERANGE surfaced as an internal error (999),
// found by the plugin fuzzer through the agent.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parseEnv } from '../../../src/cni/env.js';
import { CniError } from '../../../src/cni/errors.js';
import { Iproute2Kernel } from '../../../src/kernel/iproute2/kernel.js';
import { createNetlinkKernel } from '../../../src/kernel/netlink/index.js';
import type { Kernel } from '../../../src/kernel/types.js';
import { loadConf } from '../../../src/plugins/macvlan/conf.js';
import { ROOT } from '../../helpers/paths.js';
import { tierSkip } from '../../helpers/tier.js';

const ADDON = join(ROOT, 'dist', 'lib', 'trunkline_netlink.node');
const ip2 = new Iproute2Kernel();
const nl = existsSync(ADDON) ? createNetlinkKernel(ADDON, ip2) : undefined;

const env = parseEnv({
  CNI_COMMAND: 'ADD',
  CNI_CONTAINERID: 'c1',
  CNI_NETNS: '/proc/self/ns/net',
  CNI_IFNAME: 'eth0',
  CNI_PATH: '/nonexistent',
});
const BAD = [';touch /tmp/tl-x;', '`touch /tmp/tl-fuzz`', 'eth0/../..', 'a'.repeat(16), 'bond0:1', '..'];

async function codeOf(master: string, kernel: Kernel): Promise<number> {
  const raw = { cniVersion: '1.0.0', name: 'n', type: 'trunkline-macvlan', master };
  try {
    await loadConf(raw, env, kernel);
  } catch (e) {
    if (e instanceof CniError) return e.code;
    throw e;
  }
  return 0;
}

for (const [name, kernel] of [
  ['iproute2', ip2],
  ['netlink', nl],
] as const) {
  describe(`macvlan master names (${name} backend)`, {
    skip: name === 'netlink' ? tierSkip('netlink', nl === undefined ? `no ${ADDON}` : undefined) : false,
  }, () => {
    for (const master of BAD) {
      it(`${JSON.stringify(master.slice(0, 20))} → code 7`, async () => {
        assert.equal(await codeOf(master, kernel!), 7);
      });
    }
  });
}
