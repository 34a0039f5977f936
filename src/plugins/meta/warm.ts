// Start-up snapshot warm-up of the meta plugin (see src/cni/warm.ts for why): its config checks and
// the Multus annotations a pod carries. Nothing is read from a cluster or the disk.
import { parseNetConf } from '../../cni/conf.js';
import { parseEnv } from '../../cni/env.js';
import { warmCall } from '../../cni/warm.js';
import { parseDefaultNetworkAnnotation, parseNetworksAnnotation } from '../../multus/annotations.js';
import { loadConf } from './conf.js';

export function warmMeta(): void {
  const call = warmCall('ADD', {
    cniVersion: '1.0.0',
    name: 'warm',
    type: 'trunkline',
    clusterNetwork: 'warm',
  });
  loadConf(parseNetConf(call.stdin), parseEnv(call.vars));
  parseNetworksAnnotation(
    '[{"name":"warm","interface":"net1","ips":["10.0.0.10/24"]}]',
    'default',
    'default/warm',
  );
  parseNetworksAnnotation('warm-ns/warm@net2, warm', 'default', 'default/warm');
  parseDefaultNetworkAnnotation('warm-ns/warm', 'kube-system');
}
