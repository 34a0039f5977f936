// On-demand bond/VLAN parents (Spiderpool's ifacer fields on the macvlan config): parsing and the
// configuration errors. Creating them needs 802.1q and bonding: see ifacer-in-vm.test.ts.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CniError } from '../../../src/cni/errors.js';
import { parseIfacer } from '../../../src/plugins/macvlan/ifacer.js';

const code7 = (re: RegExp) => (e: unknown) => e instanceof CniError && e.code === 7 && re.test(e.message);

describe('ifacer fields', () => {
  it('a plain string master asks for nothing on demand', () => {
    assert.equal(parseIfacer({ master: 'eth1' }), undefined);
    assert.equal(parseIfacer({ master: 'eth1', vlanID: 0 }), undefined);
  });
  it('vlanID on a master gives <master>.<id>', () => {
    assert.deepEqual(parseIfacer({ master: 'ens224', vlanID: 100 }), {
      ports: ['ens224'],
      vlanId: 100,
      parent: 'ens224.100',
    });
  });
  it('a master list with a bond gives the bond (and its VLAN), Spiderpool option strings parsed', () => {
    assert.deepEqual(
      parseIfacer({
        master: ['ens224', 'ens256'],
        vlanID: 200,
        bond: { name: 'bond0', mode: 1, options: 'miimon=100;primary=ens224' },
      }),
      {
        ports: ['ens224', 'ens256'],
        bond: { name: 'bond0', mode: 'active-backup', options: { miimon: '100', primary: 'ens224' } },
        vlanId: 200,
        parent: 'bond0.200',
      },
    );
    assert.equal(
      parseIfacer({ master: ['a', 'b'], bond: { name: 'bond1', mode: '802.3ad' } })?.bond?.mode,
      '802.3ad',
    );
    assert.equal(
      parseIfacer({ master: ['a', 'b'], bond: { name: 'bond1', mode: '4' } })?.bond?.mode,
      '802.3ad',
    );
  });
  const bad: [string, Record<string, unknown>, RegExp][] = [
    ['vlanID out of range', { master: 'eth1', vlanID: 4095 }, /vlanID/],
    ['vlanID not an integer', { master: 'eth1', vlanID: '100' }, /vlanID/],
    ['two masters without a bond', { master: ['a', 'b'] }, /give "bond"/],
    ['unknown bond mode', { master: ['a', 'b'], bond: { name: 'bond0', mode: 9 } }, /bond\.mode/],
    ['bad bond name', { master: ['a', 'b'], bond: { name: 'bond/0' } }, /bond\.name/],
    ['bad option string', { master: ['a', 'b'], bond: { name: 'bond0', options: 'miimon' } }, /key=value/],
    ['VLAN name over 15 characters', { master: 'enp0s31f6abcd', vlanID: 1000 }, /VLAN interface/],
    ['empty master list', { master: [], vlanID: 5 }, /master/],
  ];
  for (const [name, raw, re] of bad)
    it(`rejects ${name} with code 7`, () => assert.throws(() => parseIfacer(raw), code7(re)));
});
