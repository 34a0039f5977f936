// Planning and diffing on hand-built states: the order of steps, empty plans, recreation, and the
// target resolution errors (which interface, which field).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { HostConfigError } from '../../src/hostnet/errors.js';
import { parseHostConfig } from '../../src/hostnet/parse.js';
import { plan } from '../../src/hostnet/plan.js';
import { resolveTarget } from '../../src/hostnet/target.js';
import type { HostState, IfaceState } from '../../src/hostnet/types.js';
import { diffStates, verifyDesired } from '../../src/hostnet/verify.js';
import { seedConfig } from './fixtures.js';

const nic = (name: string, extra: Partial<IfaceState> = {}): IfaceState => ({
  name,
  kind: 'ether',
  up: true,
  mtu: 1500,
  mac: `02:00:00:00:00:${name.length.toString(16).padStart(2, '0')}`,
  addrs: [],
  ...extra,
});
const stateOf = (...ifaces: IfaceState[]): HostState => new Map(ifaces.map((i) => [i.name, i]));
const seed = seedConfig({ nics: ['ens224', 'ens256'], bond: 'bond0' });
const bare = () => stateOf(nic('lo'), nic('ens224'), nic('ens256'));

/** The seed topology as the kernel reports it after a successful apply. */
function built(): HostState {
  return stateOf(
    nic('lo'),
    nic('ens224', { master: 'bond0' }),
    nic('ens256', { master: 'bond0' }),
    nic('bond0', {
      kind: 'bond',
      bond: { mode: 'active-backup', options: { miimon: '100', arp_validate: 'none' } },
    }),
    nic('bond0.100', { kind: 'vlan', vlan: { base: 'bond0', id: 100, protocol: '802.1q' } }),
    nic('bond0.200', { kind: 'vlan', vlan: { base: 'bond0', id: 200, protocol: '802.1q' } }),
  );
}

const whats = (cur: HostState, cfgYaml: string) => {
  const { state, scope } = resolveTarget(cur, parseHostConfig(cfgYaml));
  return plan(cur, state, scope).map((s) => s.what);
};

describe('plan', () => {
  it('orders the seed: bond first, ports taken down and enslaved, vlans on the bond after it', () => {
    const { state, scope } = resolveTarget(bare(), seed);
    assert.deepEqual(
      plan(bare(), state, scope).map((s) => s.what),
      [
        'create bond bond0 (active-backup)',
        'set bond0 up',
        'create vlan bond0.100 (bond0 id 100)',
        'set bond0.100 up',
        'create vlan bond0.200 (bond0 id 200)',
        'set bond0.200 up',
        'take ens224 down to enslave it',
        'enslave ens224 to bond0',
        'take ens256 down to enslave it',
        'enslave ens256 to bond0',
      ],
    );
    const create = plan(bare(), state, scope)[0];
    assert.deepEqual(create?.op === 'create' && create.spec, {
      kind: 'bond',
      name: 'bond0',
      mode: 'active-backup',
      options: { miimon: '100' },
    });
  });

  it('is empty when the host already matches', () => {
    const { state, scope } = resolveTarget(built(), seed);
    assert.deepEqual(plan(built(), state, scope), []);
    assert.deepEqual(verifyDesired(seed, built()), []);
  });

  it('changes a live option in place and needs the bond down for lacp_rate', () => {
    assert.deepEqual(
      whats(
        built(),
        'interfaces:\n  - {name: bond0, type: bond, link-aggregation: {mode: active-backup, options: {miimon: 200}}}\n',
      ),
      ['set bond bond0 miimon 200'],
    );
  });

  it('changes the mode with the ports released and the bond down, then re-enslaves', () => {
    assert.deepEqual(
      whats(
        built(),
        'interfaces:\n  - {name: bond0, type: bond, link-aggregation: {mode: 802.3ad, options: {lacp_rate: fast}}}\n',
      ),
      [
        'release ens224 from bond0',
        'release ens256 from bond0',
        'take bond0 down to change its mode/options',
        'set bond bond0 mode 802.3ad lacp_rate fast',
        'set bond0 up',
        'enslave ens224 to bond0',
        'enslave ens256 to bond0',
      ],
    );
  });

  it('restores an option the old mode owns before switching back (rollback from 802.3ad)', () => {
    const checkpoint = built();
    const ab = checkpoint.get('bond0') as IfaceState;
    ab.bond = { mode: 'active-backup', options: { miimon: '100', lacp_rate: 'slow' } };
    const now = built();
    (now.get('bond0') as IfaceState).bond = { mode: '802.3ad', options: { miimon: '50', lacp_rate: 'fast' } };
    assert.deepEqual(
      plan(now, checkpoint, new Set(checkpoint.keys())).map((s) => s.what),
      [
        'release ens224 from bond0',
        'release ens256 from bond0',
        'take bond0 down to change its mode/options',
        'set bond bond0 lacp_rate slow (before the mode change)',
        'set bond bond0 mode active-backup miimon 100',
        'set bond0 up',
        'enslave ens224 to bond0',
        'enslave ens256 to bond0',
      ],
    );
  });

  it('recreates a vlan whose id changes, and what is stacked on it', () => {
    const cur = built();
    cur.set('mv1', nic('mv1', { kind: 'macvlan', macvlan: { base: 'bond0.100', mode: 'bridge' } }));
    assert.deepEqual(
      whats(cur, 'interfaces:\n  - {name: bond0.100, type: vlan, vlan: {base-iface: bond0, id: 101}}\n'),
      [
        'delete mac-vlan mv1 (bond0.100 bridge)',
        'delete vlan bond0.100 (bond0 id 100)',
        'create vlan bond0.100 (bond0 id 101)',
        'set bond0.100 up',
        'create mac-vlan mv1 (bond0.100 bridge)',
        'set mv1 up',
      ],
    );
  });

  it('removes stacked interfaces before their base (absent in reverse order)', () => {
    assert.deepEqual(
      whats(
        built(),
        'interfaces:\n  - {name: bond0, type: bond, state: absent}\n  - {name: bond0.100, type: vlan, state: absent}\n  - {name: bond0.200, type: vlan, state: absent}\n',
      ),
      [
        'release ens224 from bond0',
        'release ens256 from bond0',
        'delete vlan bond0.100 (bond0 id 100)',
        'delete vlan bond0.200 (bond0 id 200)',
        'delete bond bond0 (active-backup)',
        'set ens224 up',
        'set ens256 up',
      ],
    );
  });

  it('plans the way back to a checkpoint (rollback), MACs and addresses included', () => {
    const checkpoint = built();
    (checkpoint.get('bond0') as IfaceState).addrs = ['192.0.2.1/24'];
    const now = built();
    now.delete('bond0');
    now.delete('bond0.100');
    now.delete('bond0.200');
    for (const p of ['ens224', 'ens256']) delete (now.get(p) as IfaceState).master;
    const scope = new Set(checkpoint.keys());
    const steps = plan(now, checkpoint, scope).map((s) => s.what);
    assert.ok(steps.includes('add address 192.0.2.1/24 to bond0'), steps.join('\n'));
    assert.ok(steps.includes(`set bond0 mac ${checkpoint.get('bond0')?.mac}`), steps.join('\n'));
    assert.ok(steps.indexOf('create bond bond0 (active-backup)') < steps.indexOf('enslave ens224 to bond0'));
  });

  it('diffStates names the interface and field that differ', () => {
    const a = built();
    const b = built();
    (b.get('bond0.100') as IfaceState).up = false;
    b.delete('bond0.200');
    assert.deepEqual(diffStates(a, b, a.keys()), [
      'interface bond0.100: state: expected "up", found "down"',
      'interface bond0.200: expected present, found absent',
    ]);
  });
});

describe('resolveTarget errors', () => {
  const fails = (cur: HostState, yaml: string, iface: string, field: string, msg: RegExp) =>
    assert.throws(
      () => resolveTarget(cur, parseHostConfig(yaml)),
      (e: unknown) =>
        e instanceof HostConfigError && e.iface === iface && e.field === field && msg.test(e.message),
    );
  it('a missing port', () =>
    fails(
      bare(),
      'interfaces:\n  - {name: b, type: bond, link-aggregation: {mode: 1, port: [ens999]}}\n',
      'b',
      'link-aggregation.port',
      /ens999 does not exist/,
    ));
  it('a missing vlan base', () =>
    fails(
      bare(),
      'interfaces:\n  - {name: v, type: vlan, vlan: {base-iface: nope0, id: 3}}\n',
      'v',
      'vlan.base-iface',
      /nope0 does not exist/,
    ));
  it('a missing NIC', () =>
    fails(bare(), 'interfaces:\n  - {name: ens999, type: ethernet}\n', 'ens999', 'name', /never created/));
  it('a type conflict', () =>
    fails(
      bare(),
      'interfaces:\n  - {name: ens224, type: bond, link-aggregation: {mode: 1}}\n',
      'ens224',
      'type',
      /exists as a ether/,
    ));
  it('an absent base still in use', () =>
    fails(
      built(),
      'interfaces:\n  - {name: bond0, type: bond, state: absent}\n',
      'bond0',
      'state',
      /bond0\.100 .* mark bond0\.100 absent/,
    ));
});
