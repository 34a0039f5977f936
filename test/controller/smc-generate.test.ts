// SpiderMultusConfig → NAD config: the shapes Spiderpool's docs show (written here in our words),
// each with the chain Trunkline must generate for it.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type Smc, smcToNad, UnsupportedSmc } from '../../src/controller/smc/generate.js';

const smc = (spec: NonNullable<Smc['spec']>, annotations?: Record<string, string>): Smc => ({
  metadata: { name: 'net1', namespace: 'ns1', ...(annotations ? { annotations } : {}) },
  spec,
});
const COORD = { type: 'trunkline-coordinator' };

const cases: { what: string; in: Smc; plugins: unknown[]; cniVersion?: string; annotations?: object }[] = [
  {
    what: 'one master, a VLAN and dual-stack pools (the docs sample)',
    in: smc({
      cniType: 'macvlan',
      macvlan: { master: ['ens192'], vlanID: 100, ippools: { ipv4: ['v4-100'], ipv6: ['v6-100'] } },
    }),
    plugins: [
      {
        type: 'trunkline-macvlan',
        mode: 'bridge',
        master: 'ens192',
        vlanID: 100,
        ipam: {
          type: 'trunkline-ipam',
          store: { type: 'kubernetes' },
          default_ipv4_ippool: ['v4-100'],
          default_ipv6_ippool: ['v6-100'],
        },
      },
      COORD,
    ],
  },
  {
    what: 'a bond over two masters with a VLAN, MTU and a custom CNI version',
    in: smc(
      {
        cniType: 'macvlan',
        macvlan: {
          master: ['ens192', 'ens224'],
          vlanID: 200,
          mtu: 1400,
          bond: { name: 'bond0', mode: 1, options: 'miimon=100' },
          ippools: { ipv4: ['v4-200'] },
        },
      },
      { 'multus.spidernet.io/cni-version': '1.0.0', team: 'net' },
    ),
    cniVersion: '1.0.0',
    annotations: { 'multus.spidernet.io/cni-version': '1.0.0', team: 'net' },
    plugins: [
      {
        type: 'trunkline-macvlan',
        mode: 'bridge',
        master: ['ens192', 'ens224'],
        bond: { name: 'bond0', mode: 1, options: 'miimon=100' },
        vlanID: 200,
        mtu: 1400,
        ipam: {
          type: 'trunkline-ipam',
          store: { type: 'kubernetes' },
          default_ipv4_ippool: ['v4-200'],
        },
      },
      COORD,
    ],
  },
  {
    what: 'no VLAN, IPAM disabled, coordinator off',
    in: smc({
      cniType: 'macvlan',
      enableCoordinator: false,
      disableIPAM: true,
      macvlan: { master: ['eth1'], vlanID: 0 },
    }),
    plugins: [{ type: 'trunkline-macvlan', mode: 'bridge', master: 'eth1' }],
  },
  {
    what: 'overlay coordinator: options carried, NAD marked overlay',
    in: smc({
      cniType: 'macvlan',
      coordinator: {
        mode: 'overlay',
        podDefaultRouteNIC: 'eth0',
        tunePodRoutes: true,
        hijackCIDR: ['10.9.0.0/16'],
      },
      macvlan: { master: ['eth1'] },
    }),
    annotations: { 'trunkline.io/network-mode': 'overlay' },
    plugins: [
      {
        type: 'trunkline-macvlan',
        mode: 'bridge',
        master: 'eth1',
        ipam: { type: 'trunkline-ipam', store: { type: 'kubernetes' } },
      },
      {
        type: 'trunkline-coordinator',
        mode: 'overlay',
        tunePodRoutes: true,
        hijackCIDR: ['10.9.0.0/16'],
        podDefaultRouteNic: 'eth0',
      },
    ],
  },
];

describe('smcToNad', () => {
  for (const c of cases)
    it(c.what, () => {
      const nad = smcToNad(c.in);
      assert.deepEqual(JSON.parse(nad.config), {
        cniVersion: c.cniVersion ?? '0.3.1',
        name: 'net1',
        plugins: c.plugins,
      });
      assert.deepEqual(nad.annotations, c.annotations ?? {});
    });

  it('refuses what it does not generate', () => {
    for (const s of [
      smc({ cniType: 'ipvlan', ipvlan: {} } as NonNullable<Smc['spec']>),
      smc({ cniType: 'macvlan', macvlan: { master: [] } }),
      smc({ cniType: 'macvlan', macvlan: { master: ['a', 'b'] } }),
    ])
      assert.throws(() => smcToNad(s), UnsupportedSmc);
  });
});
