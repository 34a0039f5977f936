import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BOND_MODES } from '../../src/hostnet/bond-options.js';
import { HostConfigError } from '../../src/hostnet/errors.js';
import { parseHostConfig, validateHostConfig } from '../../src/hostnet/parse.js';
import type { DesiredBond } from '../../src/hostnet/types.js';
import { seedYaml } from './fixtures.js';

const bondWith = (agg: string) =>
  parseHostConfig(`interfaces:\n  - {name: bond0, type: bond, link-aggregation: ${agg}}\n`)
    .interfaces[0] as DesiredBond;

/** Asserts a HostConfigError naming the interface and the field, with a message matching `msg`. */
function rejects(yaml: string, iface: string, field: string, msg: RegExp): void {
  assert.throws(
    () => parseHostConfig(yaml),
    (e: unknown) => {
      assert.ok(e instanceof HostConfigError, String(e));
      assert.equal(e.iface, iface);
      assert.equal(e.field, field);
      assert.equal(e.code, 7);
      assert.match(e.message, msg);
      assert.ok(e.message.startsWith(`interface ${iface}: ${field}: `), e.message);
      return true;
    },
  );
}

describe('parseHostConfig', () => {
  it('reads the seed topology', () => {
    const cfg = parseHostConfig(seedYaml({ nics: ['ens224', 'ens256'], bond: 'bond0' }));
    assert.deepEqual(cfg.interfaces, [
      {
        name: 'bond0',
        type: 'bond',
        state: 'up',
        bond: { mode: 'active-backup', options: { miimon: '100' }, ports: ['ens224', 'ens256'] },
      },
      {
        name: 'bond0.100',
        type: 'vlan',
        state: 'up',
        vlan: { baseIface: 'bond0', id: 100, protocol: '802.1q' },
      },
      {
        name: 'bond0.200',
        type: 'vlan',
        state: 'up',
        vlan: { baseIface: 'bond0', id: 200, protocol: '802.1q' },
      },
    ]);
  });

  it('accepts all seven bond modes by name and by number', () => {
    BOND_MODES.forEach((mode, n) => {
      assert.equal(bondWith(`{mode: ${mode}}`).bond?.mode, mode);
      assert.equal(bondWith(`{mode: ${n}}`).bond?.mode, mode);
      assert.equal(bondWith(`{mode: '${n}'}`).bond?.mode, mode);
    });
  });

  it('normalizes option values: enum numbers to names, booleans to 0/1, aliases to canonical names', () => {
    const b = bondWith(
      `{mode: 4, options: {miimon: '100', lacp_rate: 1, xmit_hash_policy: 'layer3+4', all_slaves_active: delivered, use_carrier: true, num_unsol_na: 2}}`,
    );
    assert.deepEqual(b.bond?.options, {
      miimon: '100',
      lacp_rate: 'fast',
      xmit_hash_policy: 'layer3+4',
      all_slaves_active: '1',
      use_carrier: '1',
      num_grat_arp: '2',
    });
  });

  it('accepts a NodeNetworkConfigurationPolicy and a bare desiredState', () => {
    const nncp = validateHostConfig({
      apiVersion: 'nmstate.io/v1',
      kind: 'NodeNetworkConfigurationPolicy',
      spec: { desiredState: { interfaces: [{ name: 'eth1', type: 'ethernet', mtu: 9000 }] } },
    });
    assert.deepEqual(nncp.interfaces, [{ name: 'eth1', type: 'ethernet', state: 'up', mtu: 9000 }]);
    const ds = validateHostConfig({
      desiredState: { interfaces: [{ name: 'eth1', type: 'ethernet', state: 'down' }] },
    });
    assert.equal(ds.interfaces[0]?.state, 'down');
  });

  it('reads vlan protocol 802.1ad, mac-vlan mode, mtu and mac-address', () => {
    const cfg = parseHostConfig(`interfaces:
  - {name: qinq, type: vlan, mtu: 1496, vlan: {base-iface: eth1, id: 7, protocol: 802.1ad}}
  - {name: mv0, type: mac-vlan, mac-address: 02:AA:BB:CC:DD:EE, mac-vlan: {base-iface: eth1, mode: bridge, promiscuous: true}}
`);
    assert.deepEqual(cfg.interfaces[0], {
      name: 'qinq',
      type: 'vlan',
      state: 'up',
      mtu: 1496,
      vlan: { baseIface: 'eth1', id: 7, protocol: '802.1ad' },
    });
    assert.deepEqual(cfg.interfaces[1], {
      name: 'mv0',
      type: 'mac-vlan',
      state: 'up',
      macAddress: '02:aa:bb:cc:dd:ee',
      macvlan: { baseIface: 'eth1', mode: 'bridge' },
    });
  });

  it('needs no type-specific section for state: absent', () => {
    const cfg = parseHostConfig('interfaces:\n  - {name: bond0, type: bond, state: absent}\n');
    assert.deepEqual(cfg.interfaces, [{ name: 'bond0', type: 'bond', state: 'absent' }]);
  });

  describe('errors name the interface and the field', () => {
    const one = (iface: string) => `interfaces:\n  - ${iface}\n`;
    it('bond mode', () =>
      rejects(
        one('{name: bond0, type: bond, link-aggregation: {mode: fast}}'),
        'bond0',
        'link-aggregation.mode',
        /802\.3ad.*found "fast"/,
      ));
    it('missing link-aggregation', () =>
      rejects(one('{name: bond0, type: bond}'), 'bond0', 'link-aggregation', /required/));
    it('unknown bond option', () =>
      rejects(
        one('{name: bond0, type: bond, link-aggregation: {mode: 1, options: {speed: 1}}}'),
        'bond0',
        'link-aggregation.options.speed',
        /unknown bond option/,
      ));
    it('option outside its modes', () =>
      rejects(
        one('{name: bond0, type: bond, link-aggregation: {mode: active-backup, options: {lacp_rate: fast}}}'),
        'bond0',
        'link-aggregation.options.lacp_rate',
        /not valid in mode active-backup/,
      ));
    it('option value', () =>
      rejects(
        one('{name: bond0, type: bond, link-aggregation: {mode: 1, options: {miimon: -5}}}'),
        'bond0',
        'link-aggregation.options.miimon',
        /non-negative integer/,
      ));
    it('port list', () =>
      rejects(
        one('{name: bond0, type: bond, link-aggregation: {mode: 1, port: [a, a]}}'),
        'bond0',
        'link-aggregation.port',
        /a is listed twice/,
      ));
    it('vlan id', () =>
      rejects(
        one('{name: v, type: vlan, vlan: {base-iface: eth0, id: 4095}}'),
        'v',
        'vlan.id',
        /1-4094, found 4095/,
      ));
    it('vlan protocol', () =>
      rejects(
        one('{name: v, type: vlan, vlan: {base-iface: eth0, id: 5, protocol: qinq}}'),
        'v',
        'vlan.protocol',
        /802\.1q or 802\.1ad/,
      ));
    it('vlan base', () =>
      rejects(one('{name: v, type: vlan, vlan: {id: 5}}'), 'v', 'vlan.base-iface', /interface name/));
    it('mac-vlan mode', () =>
      rejects(
        one('{name: m, type: mac-vlan, mac-vlan: {base-iface: eth0, mode: l2}}'),
        'm',
        'mac-vlan.mode',
        /bridge, private/,
      ));
    it('mac-vlan promiscuous false', () =>
      rejects(
        one('{name: m, type: mac-vlan, mac-vlan: {base-iface: eth0, mode: passthru, promiscuous: false}}'),
        'm',
        'mac-vlan.promiscuous',
        /not supported/,
      ));
    it('section of another type', () =>
      rejects(
        one('{name: e, type: ethernet, vlan: {base-iface: x, id: 3}}'),
        'e',
        'vlan',
        /only valid for type vlan/,
      ));
    it('unsupported field', () =>
      rejects(one('{name: e, type: ethernet, ipv4: {}}'), 'e', 'ipv4', /unsupported/));
    it('mtu', () => rejects(one('{name: e, type: ethernet, mtu: 70000}'), 'e', 'mtu', /68-65535/));
    it('mac-address', () =>
      rejects(one('{name: e, type: ethernet, mac-address: nope}'), 'e', 'mac-address', /aa:bb/));
    it('type', () => rejects(one('{name: e, type: team}'), 'e', 'type', /bond, vlan, mac-vlan, ethernet/));
    it('state', () => rejects(one('{name: e, type: ethernet, state: on}'), 'e', 'state', /up, down, absent/));
    it('name', () =>
      rejects(one('{name: this-name-is-too-long, type: ethernet}'), '#0', 'name', /1-15 characters/));
    it('duplicate names', () =>
      rejects(
        'interfaces:\n  - {name: e, type: ethernet}\n  - {name: e, type: ethernet}\n',
        'e',
        'name',
        /listed twice/,
      ));
    it('a port in two bonds', () =>
      rejects(
        'interfaces:\n  - {name: b1, type: bond, link-aggregation: {mode: 1, port: [e1]}}\n  - {name: b2, type: bond, link-aggregation: {mode: 1, port: [e1]}}\n',
        'b2',
        'link-aggregation.port',
        /e1 is already a port of b1/,
      ));
    it('a vlan on an absent base', () =>
      rejects(
        'interfaces:\n  - {name: b1, type: bond, state: absent}\n  - {name: v, type: vlan, vlan: {base-iface: b1, id: 3}}\n',
        'v',
        'vlan.base-iface',
        /base b1 is marked absent/,
      ));
    it('a base cycle', () =>
      rejects(
        'interfaces:\n  - {name: a, type: vlan, vlan: {base-iface: b, id: 3}}\n  - {name: b, type: vlan, vlan: {base-iface: a, id: 4}}\n',
        'a',
        'vlan.base-iface',
        /cycle/,
      ));
    it('no interfaces list', () => rejects('foo: 1\n', '-', 'interfaces', /list of interfaces/));
  });
});
