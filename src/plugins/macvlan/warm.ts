// Start-up snapshot warm-up of the macvlan plugin (see src/cni/warm.ts for why): its config checks,
// the link's creation, configuration and removal as ADD and DEL do them, on a kernel stand-in that
// answers without a kernel (src/kernel/netlink/warm.ts). Nothing leaves the process.
import { parseNetConf } from '../../cni/conf.js';
import { parseEnv } from '../../cni/env.js';
import { warmCall, warmResult } from '../../cni/warm.js';
import { standInKernel, warmNetlink } from '../../kernel/netlink/warm.js';
import { configureIface } from '../common/configure.js';
import { loadConf } from './conf.js';
import { createMacvlan } from './create.js';
import { del } from './del.js';

/** A macvlan network delegating to `ipam`, as a pod's config would be. */
const network = (ipam: object | undefined) => ({
  cniVersion: '1.0.0',
  name: 'warm',
  type: 'trunkline-macvlan',
  master: 'uplink0',
  mode: 'bridge',
  ...(ipam ? { ipam } : {}),
});

export async function warmMacvlan(ipam: object = { type: 'trunkline-ipam' }): Promise<void> {
  warmNetlink();
  const kernel = standInKernel();
  for (const command of ['ADD', 'DEL'] as const) {
    const call = warmCall(command, network(ipam));
    await loadConf(parseNetConf(call.stdin), parseEnv(call.vars), kernel);
  }
  // Without IPAM, so that DEL delegates nothing.
  const call = warmCall('ADD', network(undefined));
  const env = parseEnv(call.vars);
  const conf = await loadConf(parseNetConf(call.stdin), env, kernel);
  await kernel.findLink(env.netns, 'gone0');
  await createMacvlan(kernel, { ...conf, linkInContainer: true }, env.netns, env.containerId, env.ifname);
  await configureIface(kernel, env.netns, env.ifname, warmResult(env.containerId));
  const registry = { get: () => undefined };
  await del(kernel, { env: { ...env, command: 'DEL' }, conf, stdin: call.stdin, registry });
}
