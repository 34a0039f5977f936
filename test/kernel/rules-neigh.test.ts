// Policy rules (both families, every selector) and neighbour entries (replace semantics).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Exists, Iproute2Kernel, LinkNotFound, NotFound, type Rule } from '../../src/kernel/index.js';
import { ipj, makeNetns, type TestNetns } from '../helpers/netns.js';

const k = new Iproute2Kernel();

describe('kernel: rules and neighbours', () => {
  let a: TestNetns;
  before(async () => {
    a = await makeNetns('tk');
    await k.createLink(a.path, { kind: 'veth', name: 'tka0', peer: 'tka1' });
    await k.setLink(a.path, 'tka0', { up: true });
  });
  after(async () => {
    await a?.cleanup();
  });

  const v4: Rule = { family: 4, priority: 200, from: '10.1.0.5/32', table: 100 };
  const v4sel: Rule = { family: 4, priority: 201, to: '10.2.0.0/16', iif: 'tka0', table: 101 };
  const v4mark: Rule = { family: 4, priority: 202, fwmark: '0x10/0xff', oif: 'lo', table: 102 };
  const v6: Rule = { family: 6, priority: 300, from: 'fd00::5/128', table: 100 };
  const v6bare: Rule = { family: 6, priority: 301, fwmark: '0x5', table: 103 }; // no address: family from -6 only

  it('adds rules of both families and lists them typed', async () => {
    for (const r of [v4, v4sel, v4mark, v6, v6bare]) await k.addRule(a.path, r);
    const j4 = ipj(a.name, ['rule', 'show']);
    const j6 = ipj(a.name, ['-6', 'rule', 'show']);
    const at = (j: { priority: number }[], p: number) => j.find((x) => x.priority === p);
    assert.deepEqual(at(j4, 200), { priority: 200, src: '10.1.0.5', table: '100' });
    assert.deepEqual(at(j4, 201), {
      priority: 201,
      src: 'all',
      dst: '10.2.0.0',
      dstlen: 16,
      iif: 'tka0',
      table: '101',
    });
    assert.equal(at(j6, 301) && at(j4, 301), undefined, 'bare v6 rule is in the v6 list only');
    assert.ok(at(j6, 301));
    const l4 = await k.listRules(a.path, 4);
    const l6 = await k.listRules(a.path, 6);
    for (const r of [v4, v4sel, v4mark])
      assert.deepEqual(
        l4.find((x) => x.priority === r.priority),
        r,
      );
    for (const r of [v6, v6bare])
      assert.deepEqual(
        l6.find((x) => x.priority === r.priority),
        r,
      );
    assert.deepEqual(
      l4.find((x) => x.priority === 32766),
      { family: 4, priority: 32766, table: 254 },
    );
  });

  it('a duplicate rule is Exists; delete removes; deleting again is NotFound', async () => {
    await assert.rejects(k.addRule(a.path, v4), Exists);
    await k.delRule(a.path, v4);
    await k.delRule(a.path, v6bare);
    assert.ok(!ipj(a.name, ['rule', 'show']).some((x: { priority: number }) => x.priority === 200));
    assert.ok(!ipj(a.name, ['-6', 'rule', 'show']).some((x: { priority: number }) => x.priority === 301));
    await assert.rejects(k.delRule(a.path, v4), NotFound);
    await assert.rejects(k.delRule(a.path, v6bare), NotFound);
  });

  it('sets neighbours of both families with replace semantics', async () => {
    await k.setNeighbour(a.path, { family: 4, ip: '10.1.0.77', mac: '02:00:00:00:00:01', dev: 'tka0' });
    await k.setNeighbour(a.path, { family: 6, ip: 'fd00::77', mac: '02:00:00:00:00:02', dev: 'tka0' });
    await k.setNeighbour(a.path, { family: 4, ip: '10.1.0.77', mac: '02:00:00:00:00:03', dev: 'tka0' });
    const j = ipj(a.name, ['neigh', 'show', 'dev', 'tka0']);
    const at = (ip: string) => j.find((x: { dst: string }) => x.dst === ip);
    assert.deepEqual([at('10.1.0.77').lladdr, at('10.1.0.77').state], ['02:00:00:00:00:03', ['PERMANENT']]);
    assert.equal(at('fd00::77').lladdr, '02:00:00:00:00:02');
    const l = await k.listNeighbours(a.path, 'tka0');
    assert.deepEqual(
      l.find((x) => x.ip === 'fd00::77'),
      { family: 6, ip: 'fd00::77', mac: '02:00:00:00:00:02', dev: 'tka0', state: 'PERMANENT' },
    );
    assert.equal((await k.listNeighbours(a.path)).length, l.length);
    await k.setNeighbour(a.path, {
      family: 4,
      ip: '10.1.0.78',
      mac: '02:00:00:00:00:04',
      dev: 'tka0',
      state: 'stale',
    });
    assert.equal((await k.listNeighbours(a.path, 'tka0')).find((x) => x.ip === '10.1.0.78')?.state, 'STALE');
    await assert.rejects(
      k.setNeighbour(a.path, { family: 4, ip: '10.1.0.79', mac: '02:00:00:00:00:05', dev: 'tknope' }),
      LinkNotFound,
    );
  });
});
