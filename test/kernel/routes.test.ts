// Routes with tables, metrics, scope, source, protocol, metrics (mtu/advmss), types and onlink; 'default'
// normalised; replace semantics; typed errors.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Exists, Iproute2Kernel, LinkNotFound, NotFound, type Route } from '../../src/kernel/index.js';
import { ipj, makeNetns, type TestNetns } from '../helpers/netns.js';

const k = new Iproute2Kernel();
const pick = (r: Route | undefined, keys: (keyof Route)[]) =>
  r === undefined
    ? undefined
    : Object.fromEntries(keys.filter((x) => r[x] !== undefined).map((x) => [x, r[x]]));

describe('kernel: routes', () => {
  let a: TestNetns;
  let b: TestNetns;
  before(async () => {
    a = await makeNetns('tk');
    b = await makeNetns('tk');
    await k.createLink(a.path, { kind: 'veth', name: 'tka0', peer: 'tkb0', peerNetns: b.path });
    await k.setLink(b.path, 'tkb0', { up: true });
    await k.setLink(a.path, 'tka0', { up: true });
    await k.addAddr(a.path, 'tka0', '10.1.0.1/24');
    await k.addAddr(a.path, 'tka0', 'fd00::1/64', { noDad: true });
  });
  after(async () => {
    await a?.cleanup();
    await b?.cleanup();
  });

  it('adds a route in a table with metric, protocol, mtu and advmss', async () => {
    const r: Route = {
      family: 4,
      dst: '10.9.0.0/16',
      gw: '10.1.0.254',
      dev: 'tka0',
      table: 100,
      metric: 50,
      proto: 'static',
      mtu: 1400,
      advmss: 1360,
    };
    await k.addRoute(a.path, r);
    const [j] = ipj(a.name, ['-d', 'route', 'show', 'table', '100']);
    assert.deepEqual(
      [j.dst, j.gateway, j.dev, j.metric, j.protocol, j.metrics[0].mtu, j.metrics[0].advmss],
      ['10.9.0.0/16', '10.1.0.254', 'tka0', 50, 'static', 1400, 1360],
    );
    const [got] = await k.listRoutes(a.path, { family: 4, table: 100 });
    assert.deepEqual(got, { ...r, scope: 'global', type: 'unicast' });
    assert.equal(
      (await k.listRoutes(a.path, { family: 4 })).filter((x) => x.dst === '10.9.0.0/16').length,
      0,
    );
  });

  it('adds a scope-link host route with a source address; host routes get /32', async () => {
    await k.addRoute(a.path, { family: 4, dst: '10.8.0.5/32', dev: 'tka0', scope: 'link', src: '10.1.0.1' });
    const j = ipj(a.name, ['route', 'show']).find((x: { dst: string }) => x.dst === '10.8.0.5');
    assert.deepEqual([j.scope, j.prefsrc], ['link', '10.1.0.1']);
    const r = (await k.listRoutes(a.path)).find((x) => x.dst === '10.8.0.5/32');
    assert.deepEqual(pick(r, ['family', 'dev', 'scope', 'src', 'table']), {
      family: 4,
      dev: 'tka0',
      scope: 'link',
      src: '10.1.0.1',
    });
  });

  it("normalises 'default' and lists both families of the main table without a family", async () => {
    await k.addRoute(a.path, { family: 4, dst: 'default', gw: '10.1.0.254' });
    await k.addRoute(a.path, { family: 6, dst: '::/0', gw: 'fd00::fe', dev: 'tka0' });
    assert.ok(
      ipj(a.name, ['-6', 'route', 'show']).some(
        (x: { dst: string; gateway?: string }) => x.dst === 'default' && x.gateway === 'fd00::fe',
      ),
    );
    const all = await k.listRoutes(a.path);
    assert.deepEqual(
      pick(
        all.find((x) => x.dst === '0.0.0.0/0'),
        ['family', 'gw', 'dev', 'table'],
      ),
      { family: 4, gw: '10.1.0.254', dev: 'tka0' },
    );
    assert.deepEqual(
      pick(
        all.find((x) => x.dst === '::/0'),
        ['family', 'gw', 'dev', 'metric'],
      ),
      { family: 6, gw: 'fd00::fe', dev: 'tka0', metric: 1024 },
    );
    assert.ok(all.some((x) => x.family === 6 && x.dst === 'fd00::/64' && x.proto === 'kernel'));
    assert.ok(
      all.every((x) => x.table === undefined),
      'only the main table',
    );
    const v6 = await k.listRoutes(a.path, { family: 6 });
    assert.ok(v6.every((x) => x.family === 6) && v6.some((x) => x.dst === '::/0'));
  });

  it("lists every table with 'all' (local table as 255, types)", async () => {
    const all = await k.listRoutes(a.path, { table: 'all' });
    assert.ok(all.some((x) => x.table === 255 && x.type === 'local' && x.dst === '10.1.0.1/32'));
    assert.ok(all.some((x) => x.table === 100 && x.dst === '10.9.0.0/16'));
    assert.ok(all.some((x) => x.table === undefined && x.dst === '0.0.0.0/0'));
    const v4 = await k.listRoutes(a.path, { family: 4, table: 'all' });
    assert.ok(v4.every((x) => x.family === 4) && v4.some((x) => x.table === 255));
  });

  it('replaceRoute updates in place, addRoute of a duplicate is Exists', async () => {
    const r: Route = { family: 4, dst: '10.7.0.0/16', gw: '10.1.0.254', table: 100 };
    await k.addRoute(a.path, r);
    await assert.rejects(k.addRoute(a.path, r), Exists);
    await k.replaceRoute(a.path, { ...r, gw: '10.1.0.253' });
    await k.replaceRoute(a.path, { family: 4, dst: '10.6.0.0/16', dev: 'tka0', table: 100 }); // creates
    const t = ipj(a.name, ['route', 'show', 'table', '100']);
    assert.deepEqual(
      t.filter((x: { dst: string }) => x.dst === '10.7.0.0/16').map((x: { gateway: string }) => x.gateway),
      ['10.1.0.253'],
    );
    assert.ok(t.some((x: { dst: string }) => x.dst === '10.6.0.0/16'));
  });

  it('adds onlink and blackhole routes', async () => {
    await k.addRoute(a.path, {
      family: 4,
      dst: '10.5.0.0/16',
      gw: '192.168.77.1',
      dev: 'tka0',
      onlink: true,
    });
    await k.addRoute(a.path, { family: 4, dst: '10.4.0.0/16', type: 'blackhole' });
    const routes = await k.listRoutes(a.path, { family: 4 });
    assert.deepEqual(
      pick(
        routes.find((x) => x.dst === '10.5.0.0/16'),
        ['gw', 'onlink'],
      ),
      { gw: '192.168.77.1', onlink: true },
    );
    assert.equal(routes.find((x) => x.dst === '10.4.0.0/16')?.type, 'blackhole');
    assert.equal(ipj(a.name, ['-d', 'route', 'show', 'type', 'blackhole'])[0].dst, '10.4.0.0/16');
  });

  it('deletes routes; deleting again is NotFound; a missing device is LinkNotFound', async () => {
    await k.delRoute(a.path, { family: 4, dst: '10.9.0.0/16', table: 100 });
    await k.delRoute(a.path, { family: 6, dst: 'default', gw: 'fd00::fe' });
    assert.ok(
      !ipj(a.name, ['route', 'show', 'table', '100']).some((x: { dst: string }) => x.dst === '10.9.0.0/16'),
    );
    assert.ok(!ipj(a.name, ['-6', 'route', 'show']).some((x: { dst: string }) => x.dst === 'default'));
    await assert.rejects(k.delRoute(a.path, { family: 4, dst: '10.9.0.0/16', table: 100 }), NotFound);
    await assert.rejects(k.delRoute(a.path, { family: 6, dst: '::/0' }), NotFound);
    await assert.rejects(k.addRoute(a.path, { family: 4, dst: '10.3.0.0/16', dev: 'tknope' }), LinkNotFound);
  });
});
