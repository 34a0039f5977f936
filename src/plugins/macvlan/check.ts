// CHECK: the interface named in prevResult is still a macvlan of the configured mode with the same
// MAC, addresses and routes.

import { CniError, Code, causedBy, invalidConfig } from '../../cni/errors.js';
import { delegateCheck } from '../../cni/exec.js';
import type { Invocation } from '../../cni/plugin.js';
import { LinkNotFound } from '../../kernel/errors.js';
import type { Kernel } from '../../kernel/types.js';
import { validateExpected } from '../common/configure.js';
import type { MacvlanConf } from './types.js';

export async function check(kernel: Kernel, inv: Invocation<MacvlanConf>): Promise<void> {
  const { env, conf, prevResult } = inv;
  await kernel.checkNetns(env.netns).catch((e) => {
    throw causedBy(Code.UnknownContainer, `failed to open netns "${env.netns}"`, e);
  });
  // The input is checked before the IPAM's CHECK runs: a CHECK for an attachment that was never made
  // (or a prevResult naming another sandbox) is the caller's error, not the IPAM's internal one.
  if (!prevResult) throw invalidConfig('required prevResult missing');
  const itf = prevResult.interfaces?.find((i) => i.name === env.ifname && i.sandbox === env.netns);
  if (!itf) {
    throw invalidConfig(
      `sandbox in prevResult doesn't match configured netns: ${env.netns}`,
      `no interface ${env.ifname} with that sandbox`,
    );
  }
  const link = await kernel.getLink(env.netns, env.ifname).catch((e) => {
    if (e instanceof LinkNotFound) {
      throw causedBy(
        Code.UnknownContainer,
        `container interface ${env.ifname} in prevResult not found in ${env.netns}`,
        e,
      );
    }
    throw e;
  });
  if (conf.ipamType) await delegateCheck(conf.ipamType, inv, inv.stdin);
  if (link.kind !== 'macvlan')
    throw new CniError(
      Code.Internal,
      `container interface ${env.ifname} is a ${link.kind}, expected macvlan`,
    );
  if (link.macvlanMode !== conf.macvlanMode) {
    throw new CniError(
      Code.Internal,
      `container macvlan mode ${link.macvlanMode} does not match expected value: ${conf.macvlanMode}`,
    );
  }
  if (itf.mac && itf.mac.toLowerCase() !== link.mac.toLowerCase()) {
    throw new CniError(
      Code.Internal,
      `interface ${env.ifname} MAC ${itf.mac} doesn't match container MAC: ${link.mac}`,
    );
  }
  const mine = {
    ...prevResult,
    ips: (prevResult.ips ?? []).filter(
      (i) => i.interface === undefined || prevResult.interfaces?.[i.interface] === itf,
    ),
  };
  await validateExpected(kernel, env.netns, env.ifname, mine);
}
