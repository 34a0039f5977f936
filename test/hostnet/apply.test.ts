// apply/rollback/idempotence against the in-memory kernel (the real-kernel versions run in the VM:
// kernel-in-vm.test.ts). Asserts the resulting links, not the plan.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { applyHostConfig } from '../../src/hostnet/apply.js';
import { HostApplyError } from '../../src/hostnet/errors.js';
import { parseHostConfig } from '../../src/hostnet/parse.js';
import { readState, toNmstate } from '../../src/hostnet/state.js';
import { diffStates } from '../../src/hostnet/verify.js';
import { FakeKernel } from './fake-kernel.js';
import { seedConfig } from './fixtures.js';

const names = { nics: ['ens224', 'ens256'] as [string, string], bond: 'bond0' };

function host(): FakeKernel {
  const k = new FakeKernel();
  k.addNic('lo');
  k.addNic('ens224');
  k.addNic('ens256');
  return k;
}

describe('applyHostConfig (in-memory kernel)', () => {
  it('builds the seed topology: bond0 with both ports, bond0.100/200 on it, all up', async () => {
    const k = host();
    const report = await applyHostConfig(k.asKernel(), seedConfig(names));
    assert.equal(report.changed, true);
    assert.equal(report.rolledBack, false);
    const bond = k.links.get('bond0');
    assert.equal(bond?.kind, 'bond');
    assert.equal(bond?.bondMode, 'active-backup');
    assert.equal(bond?.bondOptions?.['miimon'], '100');
    assert.equal(bond?.up, true);
    for (const p of names.nics) assert.equal(k.links.get(p)?.master, 'bond0', p);
    for (const id of [100, 200]) {
      const v = k.links.get(`bond0.${id}`);
      assert.deepEqual([v?.kind, v?.parent, v?.vlanId, v?.up], ['vlan', 'bond0', id, true]);
    }
  });

  it('a second apply reports no changes and calls nothing that mutates', async () => {
    const k = host();
    await applyHostConfig(k.asKernel(), seedConfig(names));
    const before = k.mutations;
    const again = await applyHostConfig(k.asKernel(), seedConfig(names));
    assert.deepEqual(again, { changed: false, steps: [], rolledBack: false });
    assert.equal(k.mutations, before);
  });

  it('changes the bond mode in place: ports released, mode set, ports back, vlans kept', async () => {
    const k = host();
    await applyHostConfig(k.asKernel(), seedConfig(names));
    const vlanIndex = k.links.get('bond0.100')?.index;
    await applyHostConfig(k.asKernel(), seedConfig(names, '802.3ad', 'miimon: 100, lacp_rate: fast'));
    assert.equal(k.links.get('bond0')?.bondMode, '802.3ad');
    assert.equal(k.links.get('bond0')?.bondOptions?.['lacp_rate'], 'fast');
    assert.equal(k.links.get('bond0.100')?.index, vlanIndex, 'the vlan was not recreated');
    for (const p of names.nics) assert.equal(k.links.get(p)?.master, 'bond0');
  });

  it('a step failing in the middle leaves the previous state exactly', async () => {
    const k = host();
    await applyHostConfig(k.asKernel(), seedConfig(names));
    const checkpoint = await readState(k.asKernel(), null);
    const changed = parseHostConfig(`interfaces:
  - {name: bond0, type: bond, state: up, link-aggregation: {mode: 802.3ad, options: {miimon: 50}, port: [ens224]}}
  - {name: bond0.100, type: vlan, state: absent}
  - {name: bond0.300, type: vlan, state: up, vlan: {base-iface: bond0, id: 300}}
  - {name: bond0.301, type: vlan, state: up, vlan: {base-iface: bond0, id: 301}}
`);
    k.failOn = (op, name) => (op === 'create' && name === 'bond0.301' ? 'injected failure' : undefined);
    await assert.rejects(applyHostConfig(k.asKernel(), changed), (e: unknown) => {
      assert.ok(e instanceof HostApplyError);
      assert.match(e.message, /bond0\.301.*injected failure.*rolled back/);
      assert.equal(e.report.rolledBack, true);
      assert.equal(e.report.rollbackComplete, true);
      assert.ok(e.report.steps.length > 3, 'steps ran before the failure');
      return true;
    });
    const after = await readState(k.asKernel(), null);
    assert.deepEqual(diffStates(checkpoint, after, new Set([...checkpoint.keys(), ...after.keys()])), []);
  });

  it('a failed probe rolls back a fresh apply to nothing', async () => {
    const k = host();
    const checkpoint = await readState(k.asKernel(), null);
    await assert.rejects(
      applyHostConfig(k.asKernel(), seedConfig(names), {
        probe: { gateway: '10.100.0.1', timeoutMs: 50 },
        prober: async () => false,
      }),
      /probe failed: 10\.100\.0\.1/,
    );
    assert.deepEqual([...k.links.keys()].sort(), ['ens224', 'ens256', 'lo']);
    assert.deepEqual(diffStates(checkpoint, await readState(k.asKernel(), null), checkpoint.keys()), []);
  });

  it('state: absent removes vlans before their bond and releases the ports', async () => {
    const k = host();
    await applyHostConfig(k.asKernel(), seedConfig(names));
    const deleted: string[] = [];
    k.failOn = (op, name) => {
      if (op === 'delete') deleted.push(name);
      return undefined;
    };
    await applyHostConfig(
      k.asKernel(),
      parseHostConfig(`interfaces:
  - {name: bond0, type: bond, state: absent}
  - {name: bond0.100, type: vlan, state: absent}
  - {name: bond0.200, type: vlan, state: absent}
`),
    );
    assert.deepEqual(deleted, ['bond0.100', 'bond0.200', 'bond0']);
    assert.deepEqual([...k.links.keys()].sort(), ['ens224', 'ens256', 'lo']);
    assert.equal(k.links.get('ens224')?.up, true, 'a released NIC keeps its previous admin state');
  });

  it('show prints the current state in the nmstate schema', async () => {
    const k = host();
    await applyHostConfig(k.asKernel(), seedConfig(names));
    const doc = toNmstate(await readState(k.asKernel(), null));
    const bond = doc.interfaces.find((i) => i['name'] === 'bond0');
    const agg = bond?.['link-aggregation'] as {
      mode: string;
      options: Record<string, unknown>;
      port: string[];
    };
    assert.equal(agg.mode, 'active-backup');
    assert.equal(agg.options['miimon'], 100);
    assert.deepEqual(agg.port, ['ens224', 'ens256']);
    const vlan = doc.interfaces.find((i) => i['name'] === 'bond0.200');
    assert.deepEqual(vlan?.['vlan'], { 'base-iface': 'bond0', id: 200, protocol: '802.1q' });
    assert.equal(vlan?.['type'], 'vlan');
    assert.equal(doc.interfaces.find((i) => i['name'] === 'ens224')?.['controller'], 'bond0');
  });
});
