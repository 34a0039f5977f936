// Start-up snapshot warm-up of trunkline-ipam (see src/cni/warm.ts for why): its config checks, the
// pool manifests parsed from text, and one allocation from them with the IPAM's pure parts. No file,
// store or manifest directory is touched.
import { parseManifests } from '../../cluster/local/manifests.js';
import { parseNetConf } from '../../cni/conf.js';
import { parseEnv } from '../../cni/env.js';
import { warmCall } from '../../cni/warm.js';
import { warmIpam } from '../../ipam/warm.js';
import { loadConf } from './conf.js';

// Block and flow style, both families, as users write pool manifests.
const MANIFEST =
  'apiVersion: spiderpool.spidernet.io/v2beta1\nkind: SpiderIPPool\nmetadata:\n  name: warm4\n' +
  'spec:\n  subnet: 10.0.0.0/24\n  ips: ["10.0.0.10-10.0.0.20"]\n  gateway: 10.0.0.1\n---\n' +
  'apiVersion: spiderpool.spidernet.io/v2beta1\nkind: SpiderIPPool\nmetadata: {name: warm6}\n' +
  'spec: {subnet: "fd00::/64", ips: ["fd00::10-fd00::20"], gateway: "fd00::1"}\n';

/** The IPAM section of the warm-up's network config. */
const WARM_IPAM = {
  type: 'trunkline-ipam',
  default_ipv4_ippool: ['warm4'],
  default_ipv6_ippool: ['warm6'],
  nodeName: 'warm',
  manifestDir: '/nonexistent',
  store: { type: 'sqlite', path: '/nonexistent/ipam.db' },
};

export async function warmIpamPlugin(): Promise<void> {
  const call = warmCall('ADD', {
    cniVersion: '1.0.0',
    name: 'warm',
    type: 'trunkline-macvlan',
    ipam: WARM_IPAM,
  });
  loadConf(parseNetConf(call.stdin), parseEnv(call.vars));
  const { pools } = await parseManifests(new Map([['warm.yaml', MANIFEST]]));
  await warmIpam(pools, call.id);
}
