import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { PodInfo, SpiderIPPool, SpiderReservedIP } from '../../src/cluster/types.js';
import { CniError, Code } from '../../src/cni/errors.js';
import { type AllocateInput, allocate } from '../../src/ipam/allocate.js';
import { poolStatus, poolUsage, renderAllocatedIPs } from '../../src/ipam/status.js';
import { SqliteStore } from '../../src/store/sqlite.js';

const POOLS: SpiderIPPool[] = [
  {
    metadata: { name: 'vlan100-v4' },
    spec: {
      subnet: '10.100.0.0/24',
      ips: ['10.100.0.10-10.100.0.12'],
      gateway: '10.100.0.1',
      routes: [{ dst: '172.16.0.0/12', gw: '10.100.0.254' }],
    },
  },
  {
    metadata: { name: 'vlan100-v6' },
    spec: { subnet: 'fd00:100::/64', ips: ['fd00:100::10-fd00:100::11'], gateway: 'fd00:100::1' },
  },
  {
    metadata: { name: 'vlan200-v4' },
    spec: { subnet: '10.200.0.0/24', ips: ['10.200.0.10-10.200.0.50'], gateway: '10.200.0.1' },
  },
  {
    metadata: { name: 'spare-v4' },
    spec: { subnet: '10.101.0.0/24', ips: ['10.101.0.10-10.101.0.20'], excludeIPs: ['10.101.0.15'] },
  },
];
const RESERVED: SpiderReservedIP[] = [{ metadata: { name: 'keep-out' }, spec: { ips: ['10.100.0.11'] } }];

function pod(name: string, annotations: Record<string, string>): PodInfo {
  return { metadata: { name, namespace: 'apps', uid: `uid-${name}`, annotations }, nodeName: 'node1' };
}

const IPPOOLS = JSON.stringify([
  { interface: 'net1', ipv4: ['vlan100-v4'] },
  { interface: 'net2', ipv4: ['vlan200-v4'], cleangateway: true },
]);
const ROUTES = JSON.stringify([
  { dst: '192.168.50.0/24', gw: '10.100.0.253' },
  { dst: '192.168.60.0/24', gw: '10.200.0.253' },
]);

let dir: string;
let store: SqliteStore;
before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'trunkline-ipam-'));
  store = new SqliteStore({ path: join(dir, 'ipam.db') });
  await store.open();
});
after(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

function call(
  over: Partial<AllocateInput> & { containerId: string; ifname: string },
): Promise<Awaited<ReturnType<typeof allocate>>> {
  return allocate({ store, pools: POOLS, reserved: RESERVED, ...over });
}

function expectError(p: Promise<unknown>, code: number, re: RegExp): Promise<void> {
  return assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof CniError, String(e));
    assert.equal(e.code, code, e.message);
    assert.match(e.message, re);
    return true;
  });
}

describe('allocate (domain operation)', () => {
  const web = pod('web-0', { 'ipam.spidernet.io/ippools': IPPOOLS, 'ipam.spidernet.io/routes': ROUTES });

  it('gives a NIC an address from its annotated pool with gateway, pool routes and pod routes', async () => {
    const r = await call({ pod: web, containerId: 'c-web', ifname: 'net1' });
    assert.deepEqual(r.ips, [{ address: '10.100.0.10/24', gateway: '10.100.0.1' }]);
    assert.deepEqual(r.routes, [
      { dst: '172.16.0.0/12', gw: '10.100.0.254' },
      { dst: '192.168.50.0/24', gw: '10.100.0.253' },
      { dst: '0.0.0.0/0', gw: '10.100.0.1' },
    ]);
    assert.equal(r.source, 'pod:ippools');
    assert.deepEqual(
      [r.allocations[0]?.podNamespace, r.allocations[0]?.podName, r.allocations[0]?.podUid],
      ['apps', 'web-0', 'uid-web-0'],
    );
  });

  it('a second NIC gets its own pool; cleangateway drops only the default route', async () => {
    const r = await call({ pod: web, containerId: 'c-web', ifname: 'net2' });
    assert.deepEqual(r.ips, [{ address: '10.200.0.10/24', gateway: '10.200.0.1' }]);
    assert.deepEqual(r.routes, [{ dst: '192.168.60.0/24', gw: '10.200.0.253' }]);
  });

  it('repeated ADD returns the same addresses', async () => {
    const r = await call({ pod: web, containerId: 'c-web', ifname: 'net1' });
    assert.equal(r.reused, true);
    assert.deepEqual(r.ips, [{ address: '10.100.0.10/24', gateway: '10.100.0.1' }]);
    assert.equal((await store.list('vlan100-v4')).length, 1);
  });

  it('never hands out reserved addresses; exhaustion names pool, pod and interface', async () => {
    const p = pod('db-0', { 'ipam.spidernet.io/ippool': '{"ipv4":["vlan100-v4"]}' });
    const r = await call({ pod: p, containerId: 'c-db', ifname: 'eth1' });
    assert.deepEqual(
      r.ips.map((i) => i.address),
      ['10.100.0.12/24'],
    ); // .11 is reserved
    await expectError(
      call({
        pod: pod('db-1', { 'ipam.spidernet.io/ippool': '{"ipv4":["vlan100-v4"]}' }),
        containerId: 'c-db1',
        ifname: 'eth1',
      }),
      Code.PoolExhausted,
      /no free IPv4 address for pod apps\/db-1 interface eth1: pool "vlan100-v4" is exhausted/,
    );
  });

  it('falls over to the next candidate when the first is exhausted', async () => {
    const p = pod('db-2', { 'ipam.spidernet.io/ippool': '{"ipv4":["vlan100-v4","spare-v4"]}' });
    const r = await call({ pod: p, containerId: 'c-db2', ifname: 'eth1' });
    assert.deepEqual(r.ips, [{ address: '10.101.0.10/24' }]);
    assert.deepEqual(r.routes, [], 'no gateway, no routes');
  });

  it('dual stack is all-or-nothing', async () => {
    const ds = (n: string) =>
      pod(n, { 'ipam.spidernet.io/ippool': '{"ipv4":["vlan200-v4"],"ipv6":["vlan100-v6"]}' });
    const a = await call({ pod: ds('ds-0'), containerId: 'c-ds0', ifname: 'eth1' });
    assert.deepEqual(
      a.ips.map((i) => i.address),
      ['10.200.0.11/24', 'fd00:100::10/64'],
    );
    assert.deepEqual(
      a.routes.map((r) => r.dst),
      ['0.0.0.0/0', '::/0'],
    );
    await call({ pod: ds('ds-1'), containerId: 'c-ds1', ifname: 'eth1' });
    await expectError(
      call({ pod: ds('ds-2'), containerId: 'c-ds2', ifname: 'eth1' }),
      Code.PoolExhausted,
      /IPv6.*pod apps\/ds-2 interface eth1: pool "vlan100-v6"/,
    );
    assert.deepEqual(await store.get({ containerId: 'c-ds2', ifname: 'eth1' }), [], 'no IPv4 left behind');
  });

  it('requested addresses: exact, taken, outside, excluded, wrong family', async () => {
    const p = (n: string) => pod(n, { 'ipam.spidernet.io/ippool': '{"ipv4":["vlan200-v4","spare-v4"]}' });
    const r = await call({
      pod: p('fixed-0'),
      containerId: 'c-f0',
      ifname: 'eth1',
      requestedIps: ['10.101.0.17/24'],
    });
    assert.deepEqual(r.ips, [{ address: '10.101.0.17/24' }]);
    await expectError(
      call({ pod: p('fixed-1'), containerId: 'c-f1', ifname: 'eth1', requestedIps: ['10.101.0.17'] }),
      Code.IpTaken,
      /requested address 10\.101\.0\.17 for pod apps\/fixed-1 interface eth1 is already held in pool "spare-v4" by pod apps\/fixed-0 container c-f0 interface eth1/,
    );
    await expectError(
      call({ pod: p('fixed-1'), containerId: 'c-f1', ifname: 'eth1', requestedIps: ['10.9.9.9'] }),
      Code.InvalidConfig,
      /requested address 10\.9\.9\.9 is not inside any eligible pool \("vlan200-v4", "spare-v4"\)/,
    );
    await expectError(
      call({ pod: p('fixed-1'), containerId: 'c-f1', ifname: 'eth1', requestedIps: ['10.101.0.15'] }),
      Code.InvalidConfig,
      /requested address 10\.101\.0\.15 is in pool "spare-v4" but excluded/,
    );
    await expectError(
      call({ pod: p('fixed-1'), containerId: 'c-f1', ifname: 'eth1', requestedIps: ['fd00:100::5'] }),
      Code.NoEligiblePool,
      /names no IPv6 pool/,
    );
    await expectError(
      call({ pod: p('fixed-1'), containerId: 'c-f1', ifname: 'eth1', requestedIps: ['nope'] }),
      Code.InvalidConfig,
      /runtimeConfig\.ips\[0\]/,
    );
  });

  it('no eligible pool: the reasons travel in details', async () => {
    const p = pod('x', { 'ipam.spidernet.io/ippool': '{"ipv4":["vlan200-v4"]}' });
    const pools = POOLS.map((x) =>
      x.metadata.name === 'vlan200-v4' ? { ...x, spec: { ...x.spec, nodeName: ['node9'] } } : x,
    );
    await assert.rejects(
      allocate({ store, pools, reserved: [], pod: p, containerId: 'c-x', ifname: 'eth1' }),
      (e: unknown) => {
        assert.ok(e instanceof CniError && e.code === Code.NoEligiblePool);
        assert.match(
          e.message,
          /pod apps\/x interface eth1: none of the IPv4 pools \[vlan200-v4\] \(from pod:ippool\) may serve it/,
        );
        assert.match(e.details ?? '', /"vlan200-v4": spec\.nodeName \[node9\] does not include node node1/);
        return true;
      },
    );
  });

  it('renders Spiderpool status.allocatedIPs and counts', async () => {
    const all = await store.list();
    const status = poolStatus(POOLS[0]!, RESERVED, all);
    assert.equal(status.allocatedIPCount, 2);
    assert.equal(status.totalIPCount, 3);
    const map = JSON.parse(status.allocatedIPs ?? '{}');
    assert.deepEqual(Object.keys(map), ['10.100.0.10', '10.100.0.12']);
    assert.equal(map['10.100.0.10'].pod, 'apps/web-0');
    assert.equal(map['10.100.0.10'].podUid, 'uid-web-0');
    assert.equal(map['10.100.0.10'].interface, 'net1');
    assert.equal(map['10.100.0.10'].containerID, 'c-web');
    const u = poolUsage(POOLS[0]!, RESERVED, all);
    assert.deepEqual([u.total, u.usable, u.allocated, u.free], [3n, 2n, 2, 0n]);
    assert.equal(renderAllocatedIPs([]), '{}');
  });

  it('an unusable store is StoreUnavailableError (103)', async () => {
    const blocker = join(dir, 'file');
    writeFileSync(blocker, '');
    const bad = new SqliteStore({ path: join(blocker, 'ipam.db') });
    await expectError(
      allocate({ store: bad, pools: POOLS, reserved: [], pod: web, containerId: 'c', ifname: 'net1' }),
      Code.StoreUnavailable,
      /IPAM store sqlite:.*file\/ipam\.db is unavailable/,
    );
  });
});
