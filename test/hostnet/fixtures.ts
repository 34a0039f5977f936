// Host configs shared by the host-side and in-VM tests: the seed topology (bond0 over two NICs,
// VLANs 100 and 200 on it) with NIC names chosen by the test.
import { parseHostConfig } from '../../src/hostnet/parse.js';
import type { HostConfig } from '../../src/hostnet/types.js';

export interface SeedNames {
  nics: [string, string];
  bond: string;
}

export function seedYaml(n: SeedNames, mode = 'active-backup', options = 'miimon: 100'): string {
  return `interfaces:
  - name: ${n.bond}
    type: bond
    state: up
    link-aggregation:
      mode: ${mode}
      options: { ${options} }
      port: [${n.nics.join(', ')}]
  - name: ${n.bond}.100
    type: vlan
    state: up
    vlan: { base-iface: ${n.bond}, id: 100 }
  - name: ${n.bond}.200
    type: vlan
    state: up
    vlan: { base-iface: ${n.bond}, id: 200 }
`;
}

export const seedConfig = (n: SeedNames, mode?: string, options?: string): HostConfig =>
  parseHostConfig(seedYaml(n, mode, options));
