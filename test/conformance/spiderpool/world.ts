// The cluster the process-level Spiderpool cases run against: SpiderIPPools, namespaces and one pod per
// case, written as the manifests a user would apply, read by trunkline-ipam's local cluster source.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

type Obj = Record<string, unknown>;

const pool = (name: string, spec: Obj): Obj => ({
  apiVersion: 'spiderpool.spidernet.io/v2beta1',
  kind: 'SpiderIPPool',
  metadata: { name },
  spec: { ipVersion: 4, ...spec },
});

const v4 = (n: number, extra: Obj = {}): Obj => ({
  subnet: `10.${n}.0.0/24`,
  ips: [`10.${n}.0.10-10.${n}.0.19`],
  gateway: `10.${n}.0.1`,
  ...extra,
});

export const POOLS: Obj[] = [
  pool('v4-a', v4(31, { routes: [{ dst: '172.30.0.0/16', gw: '10.31.0.254' }] })),
  pool('v4-b', v4(32)),
  pool('v6-a', { ipVersion: 6, subnet: 'fd31::/64', ips: ['fd31::10-fd31::1f'], gateway: 'fd31::1' }),
  pool('v4-nad0', v4(33, { multusName: ['macvlan-vlan33'] })),
  pool('v4-nad1', v4(34, { multusName: ['team/extra34'] })),
  pool('v4-master', v4(35)),
  pool('v4-other', v4(36)),
  pool('v4-edges', { subnet: '10.38.0.0/30', ips: ['10.38.0.0-10.38.0.3'] }),
  pool('v4-wild-1', v4(39)),
  pool('v4-wild-2', v4(40)),
  pool('v4-off', v4(41, { disable: true })),
  pool('v4-elsewhere', v4(42, { nodeName: ['node9'] })),
  pool('v4-default', v4(43, { default: true })),
  pool('v4-tiny', { subnet: '10.44.0.0/24', ips: ['10.44.0.10'], gateway: '10.44.0.1' }),
  pool('v4-next', { subnet: '10.45.0.0/24', ips: ['10.45.0.10-10.45.0.12'] }),
];

export const NAMESPACES: Obj[] = [
  { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'team' } },
  {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name: 'nsdef', annotations: { 'ipam.spidernet.io/default-ipv4-ippool': '["v4-b"]' } },
  },
];

export function podManifest(ns: string, name: string, annotations: Record<string, string>): Obj {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { namespace: ns, name, uid: `uid-${name}`, annotations },
    spec: { nodeName: 'node1' },
  };
}

export function writeWorld(dir: string, pods: Obj[]): void {
  const docs = [...POOLS, ...NAMESPACES, ...pods].map((o) => JSON.stringify(o));
  writeFileSync(join(dir, 'world.yaml'), docs.join('\n---\n'));
}
