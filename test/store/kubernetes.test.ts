// The Kubernetes backend through the test API server and the real client library: the shared
// contract, two "hosts" racing for one SpiderIPPool, Spiderpool's status format, 409 retries, dual
// stack compensation, and an unreachable API.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { CachedKubernetesSource } from '../../src/cluster/kubernetes/cached.js';
import { KubernetesSource } from '../../src/cluster/kubernetes/source.js';
import type { ClusterSource } from '../../src/cluster/types.js';
import { CniError, Code } from '../../src/cni/errors.js';
import { StoreUnavailableError } from '../../src/store/errors.js';
import { parseIp } from '../../src/store/ip.js';
import { applyRound, type Op } from '../../src/store/kubernetes/batch.js';
import { heldIn, holderKey } from '../../src/store/kubernetes/held.js';
import {
  KubernetesStore,
  kubernetesStore,
  parseKubernetesStoreConf,
} from '../../src/store/kubernetes/index.js';
import type { Entry, PoolEntries } from '../../src/store/kubernetes/records.js';
import type { AllocateResult } from '../../src/store/types.js';
import { type KubeApiServer, type RequestInfo, startKubeApiServer } from '../kube-apiserver/server.js';
import { holder, pool, range, runStoreContract } from './contract.js';

const API = 'spiderpool.spidernet.io/v2beta1';

function spiderPool(name: string, ipVersion: 4 | 6, subnet: string) {
  return { apiVersion: API, kind: 'SpiderIPPool', metadata: { name }, spec: { ipVersion, subnet } };
}

// Every pool name the contract suite uses, so its candidates name pools that exist.
const CONTRACT_POOLS = [
  spiderPool('v4', 4, '10.0.0.0/24'),
  spiderPool('v6', 6, 'fd00::/64'),
  spiderPool('small', 4, '10.0.1.0/24'),
  spiderPool('p1', 4, '10.1.0.0/24'),
  spiderPool('p2', 4, '10.2.0.0/24'),
  spiderPool('p', 4, '10.3.0.0/24'),
  spiderPool('a', 4, '10.4.0.0/24'),
  spiderPool('b', 4, '10.4.0.0/24'),
  spiderPool('v6big', 6, '2001:db8::/64'),
];

async function withApi(objects: Record<string, unknown>[], fn: (api: KubeApiServer) => Promise<void>) {
  const api = await startKubeApiServer();
  try {
    api.seed(objects);
    await fn(api);
  } finally {
    await api.stop();
  }
}

const sourceOf = (api: KubeApiServer) => new KubernetesSource({ kubeconfig: api.kubeconfigPath });

function poolStatus(api: KubeApiServer, name: string) {
  const st = api.get(API, 'SpiderIPPool', undefined, name)?.status as
    | { allocatedIPs?: string; allocatedIPCount?: number }
    | undefined;
  const ips = JSON.parse(st?.allocatedIPs ?? '{}') as Record<string, Record<string, unknown>>;
  return { ips, count: st?.allocatedIPCount };
}

const addr = (ip: string) => parseIp(ip)!.value;

function ipsOf(results: AllocateResult[]): string[] {
  return results.flatMap((r) => (r.ok ? r.allocations.map((a) => a.ip) : []));
}

for (const writes of ['batched', 'per-allocation'] as const) {
  runStoreContract(`kubernetes (writes: ${writes})`, async () => {
    const api = await startKubeApiServer();
    api.seed(CONTRACT_POOLS);
    return {
      store: new KubernetesStore(sourceOf(api), { writes }),
      reopen: () => new KubernetesStore(sourceOf(api), { writes }),
      cleanup: () => api.stop(),
    };
  });
}

describe('KubernetesStore specifics', () => {
  it('two hosts allocating 50 each at once from one pool get 100 distinct addresses (per-allocation writes)', () =>
    withApi([spiderPool('shared', 4, '10.60.0.0/24')], async (api) => {
      const hosts = [0, 1].map(() => new KubernetesStore(sourceOf(api), { writes: 'per-allocation' }));
      const p = pool('shared', 4, range('10.60.0.1', '10.60.0.254'));
      const t0 = Date.now();
      const results = await Promise.all(
        Array.from({ length: 100 }, (_, i) =>
          hosts[i % 2]!.allocate(
            holder(`h${i % 2}-c${i}`, 'eth0', { podNamespace: 'ns', podName: `pod-${i}` }),
            [{ family: 4, candidates: [p] }],
          ),
        ),
      );
      const ms = Date.now() - t0;
      assert.ok(
        results.every((r) => r.ok),
        JSON.stringify(results.find((r) => !r.ok)),
      );
      const ips = ipsOf(results);
      assert.equal(new Set(ips).size, 100, 'no address handed out twice');
      const st = poolStatus(api, 'shared');
      assert.equal(st.count, 100, 'allocatedIPCount');
      assert.deepEqual(
        Object.keys(st.ips).sort(),
        [...ips].sort(),
        'status.allocatedIPs holds exactly those',
      );
      assert.equal(new Set(Object.values(st.ips).map((r) => r['pod'])).size, 100);
      const conflicts = hosts[0]!.stats.conflicts + hosts[1]!.stats.conflicts;
      assert.ok(conflicts > 0, 'the two hosts really raced (some writes got 409 and were retried)');
      console.log(
        `# kubernetes: 2 hosts x 50 concurrent allocations in ${ms} ms, ${conflicts} conflicts retried`,
      );
    }));

  it('batched writes: 3 hosts x 40 at once get 120 distinct addresses in at most half as many status writes', () =>
    withApi([spiderPool('batch', 4, '10.61.0.0/24')], async (api) => {
      const hosts = [0, 1, 2].map(() => new KubernetesStore(sourceOf(api), { writes: 'batched' }));
      const p = pool('batch', 4, range('10.61.0.1', '10.61.0.254'));
      const before = api.requests.length;
      const results = await Promise.all(
        Array.from({ length: 120 }, (_, i) =>
          hosts[i % 3]!.allocate(holder(`b${i}`, 'eth0', { podNamespace: 'ns', podName: `pod-${i}` }), [
            { family: 4, candidates: [p] },
          ]),
        ),
      );
      assert.ok(
        results.every((r) => r.ok),
        JSON.stringify(results.find((r) => !r.ok)),
      );
      const ips = ipsOf(results);
      assert.equal(new Set(ips).size, 120, 'no address handed out twice');
      const st = poolStatus(api, 'batch');
      assert.equal(st.count, 120);
      assert.deepEqual(Object.keys(st.ips).sort(), [...ips].sort());
      const writes = hosts.reduce((n, h) => n + h.stats.writes, 0);
      const puts = api.requests.slice(before).filter((q) => q.method === 'PUT' && q.subresource === 'status');
      assert.equal(puts.filter((q) => q.code === 200).length, writes, 'stats.writes counts the writes made');
      // Per-allocation writes would be 120 plus retries; how many queue per round depends on timing.
      assert.ok(writes <= 60, `120 allocations in at most 60 writes, found ${writes}`);
      // Releases batch too, and leave the status empty.
      const released = await Promise.all(
        Array.from({ length: 120 }, (_, i) =>
          hosts[i % 3]!.release({ containerId: `b${i}`, ifname: 'eth0' }),
        ),
      );
      assert.equal(released.flat().length, 120);
      assert.deepEqual(poolStatus(api, 'batch'), { ips: {}, count: 0 });
    }));

  for (const writes of ['batched', 'per-allocation'] as const)
    it(`a writer whose window is long keeps losing while others write, and still gets every address (IPs = pods, ${writes})`, () =>
      withApi([spiderPool('starve', 4, '10.62.0.0/24')], async (api) => {
        // 2 fast hosts x 20 pods + 24 pods on the slow one: exactly as many addresses as pods.
        const p = pool('starve', 4, range('10.62.0.1', '10.62.0.64'));
        const fast = [0, 1].map(() => new KubernetesStore(sourceOf(api), { writes }));
        const slowSource = new KubernetesSource({
          kubeconfig: api.kubeconfigFor({ username: 'slow-node', groups: ['system:masters'] }),
        });
        const slow = new KubernetesStore(slowSource, { writes, backoffMs: 1, backoffFactor: 1 });
        // The busy node: its read-to-write window always spans another node's write while they go on
        // (its status write is held until one lands), so every write it sends finds the pool changed.
        let othersWrote = 0;
        let churning = true;
        const statusPut = (req: RequestInfo) => req.method === 'PUT' && req.subresource === 'status';
        api.after((req) => {
          if (statusPut(req) && req.code === 200 && req.user?.username !== 'slow-node') othersWrote++;
        });
        api.before(async (req) => {
          if (req.user?.username !== 'slow-node' || !statusPut(req)) return undefined;
          const seen = othersWrote;
          while (churning && othersWrote === seen) await sleep(1);
          return undefined;
        });
        const want = (i: number) => holder(`slow-${i}`, 'eth0', { podNamespace: 'ns', podName: `slow-${i}` });
        const slowDone = Promise.all(
          Array.from({ length: 24 }, (_, i) => slow.allocate(want(i), [{ family: 4, candidates: [p] }])),
        );
        // The others churn (take, give back) until the slow node has lost more writes in a row than
        // the 40 attempts the fixed budget allowed, then take their 20 pods each.
        const t0 = Date.now();
        const churn = async (s: KubernetesStore, h: number) => {
          for (let i = 0; slow.stats.conflicts < 60 && Date.now() - t0 < 30_000; i++) {
            const r = await s.allocate(holder(`churn-${h}-${i}`), [{ family: 4, candidates: [p] }]);
            assert.ok(r.ok, JSON.stringify(r));
            await s.release({ containerId: `churn-${h}-${i}`, ifname: 'eth0' });
          }
          churning = false;
          return Promise.all(
            Array.from({ length: 20 }, (_, i) =>
              s.allocate(holder(`fast-${h}-${i}`), [{ family: 4, candidates: [p] }]),
            ),
          );
        };
        const [mine, ...theirs] = await Promise.all([slowDone, churn(fast[0]!, 0), churn(fast[1]!, 1)]);
        const all = [...mine, ...theirs.flat()];
        assert.ok(
          all.every((r) => r.ok),
          JSON.stringify(all.find((r) => !r.ok)),
        );
        assert.ok(slow.stats.conflicts >= 60, `the slow node lost ${slow.stats.conflicts} writes, not 60`);
        const ips = ipsOf(all);
        assert.equal(ips.length, 64);
        assert.equal(new Set(ips).size, 64, 'no address handed out twice');
        const st = poolStatus(api, 'starve');
        assert.equal(st.count, 64);
        assert.deepEqual(
          Object.keys(st.ips).sort(),
          [...ips].sort(),
          'status.allocatedIPs holds exactly those',
        );
        for (const r of mine)
          assert.ok(r.ok && st.ips[r.allocations[0]!.ip]?.['pod']?.toString().startsWith('ns/slow-'));
        console.log(
          `# kubernetes (${writes}): slow node lost ${slow.stats.conflicts} writes over ${Date.now() - t0} ms, got all 24`,
        );
      }));

  it('a round indexes the map once, and a change that failed after adding leaves nothing taken', () => {
    const entry = (ip: string, cid: string): Entry => ({
      text: ip,
      family: 4,
      value: addr(ip),
      record: { pod: '', podUid: '', containerID: cid, interface: 'eth0', createdAt: `t-${ip}` },
    });
    const pe: PoolEntries = { pool: 'p', entries: [entry('10.0.0.1', 'a'), entry('10.0.0.2', 'b')] };
    const add = (ip: string, cid: string, fail: boolean): Op => ({
      fn: (x) => {
        const held = heldIn(x.entries).values.get(4)!;
        assert.ok(!held.has(addr(ip)), `${ip} is free when ${cid} looks`);
        x.entries.push(entry(ip, cid));
        // Looked at again after the add (a change may): the index now has the address...
        assert.ok(heldIn(x.entries).values.get(4)!.has(addr(ip)));
        if (fail) throw new Error(`${cid} failed after adding ${ip}`);
        return { value: ip, write: true };
      },
      resolve: () => {},
      reject: () => {},
      deadline: Number.POSITIVE_INFINITY,
    });
    // ...and when that change fails, the address is free again for the next ones, even after one
    // appended without looking (the array is as long as the index again, with another entry last).
    const blind: Op = {
      fn: (x) => {
        x.entries.push(entry('10.0.0.5', 'd'));
        return { value: '10.0.0.5', write: true };
      },
      resolve: () => {},
      reject: () => {},
      deadline: Number.POSITIVE_INFINITY,
    };
    const { outcomes, write } = applyRound(pe, [
      add('10.0.0.3', 'c', true),
      blind,
      add('10.0.0.3', 'e', false),
    ]);
    assert.deepEqual(
      outcomes.map((o) => o.ok),
      [false, true, true],
    );
    assert.ok(write);
    assert.deepEqual(
      pe.entries.map((e) => `${e.text} ${e.record.containerID}`),
      ['10.0.0.1 a', '10.0.0.2 b', '10.0.0.5 d', '10.0.0.3 e'],
    );
    const idx = heldIn(pe.entries);
    assert.deepEqual(
      [...idx.values.get(4)!].sort(),
      [1, 2, 3, 5].map((i) => addr(`10.0.0.${i}`)),
    );
    assert.equal(idx.holders.get(holderKey(4, 'c', 'eth0')), undefined, 'the failed holder holds nothing');
    assert.equal(idx.holders.get(holderKey(4, 'd', 'eth0'))?.text, '10.0.0.5');
    assert.deepEqual(idx.newest.get(4), { value: addr('10.0.0.5'), at: 't-10.0.0.5' });
  });

  it("writes Spiderpool's allocatedIPs format with our holder details alongside", () =>
    withApi([spiderPool('vlan100-v4', 4, '10.100.0.0/24')], async (api) => {
      const s = kubernetesStore(sourceOf(api));
      const h = holder('cid-1', 'net1', {
        podNamespace: 'team-a',
        podName: 'web-0',
        podUid: 'uid-1',
        network: 'vlan100',
      });
      const r = await s.allocate(h, [
        { family: 4, candidates: [pool('vlan100-v4', 4, range('10.100.0.10', '10.100.0.20'))] },
      ]);
      assert.ok(r.ok);
      const st = poolStatus(api, 'vlan100-v4');
      assert.equal(st.count, 1);
      const rec = st.ips['10.100.0.10'];
      assert.deepEqual(
        { ...rec, createdAt: typeof rec?.['createdAt'] },
        {
          pod: 'team-a/web-0',
          podUid: 'uid-1',
          containerID: 'cid-1',
          interface: 'net1',
          family: 4,
          network: 'vlan100',
          createdAt: 'string',
        },
      );
      // Spiderpool's format: every key is an address.
      assert.deepEqual(Object.keys(st.ips), ['10.100.0.10']);
      // An entry Spiderpool itself wrote (no containerID) blocks its address and survives GC.
      const raw = api.get(API, 'SpiderIPPool', undefined, 'vlan100-v4')!;
      const map = JSON.parse((raw.status as { allocatedIPs: string }).allocatedIPs) as Record<
        string,
        unknown
      >;
      map['10.100.0.11'] = { pod: 'team-a/legacy', podUid: 'uid-legacy' };
      api.update({ ...raw, status: { ...(raw.status as object), allocatedIPs: JSON.stringify(map) } });
      const next = await s.allocate(holder('cid-2'), [
        { family: 4, candidates: [pool('vlan100-v4', 4, range('10.100.0.10', '10.100.0.20'))] },
      ]);
      assert.ok(next.ok);
      assert.equal(next.allocations[0]?.ip, '10.100.0.12');
      const gone = await s.releaseAllExcept([]);
      assert.deepEqual(
        gone.map((a) => a.ip),
        ['10.100.0.10', '10.100.0.12'],
      );
      assert.deepEqual(Object.keys(poolStatus(api, 'vlan100-v4').ips), ['10.100.0.11']);
      assert.equal(poolStatus(api, 'vlan100-v4').count, 1);
    }));

  it('retries a 409 with a fresh read, and gives up with code 11 when conflicts never stop', () =>
    withApi([spiderPool('busy', 4, '10.70.0.0/24')], async (api) => {
      const p = pool('busy', 4, range('10.70.0.1', '10.70.0.9'));
      let interfere = 1;
      // Another writer changes the pool right before our status write lands.
      api.onRequest = (req) => {
        if (req.method === 'PUT' && req.subresource === 'status' && interfere > 0) {
          interfere--;
          const cur = api.get(API, 'SpiderIPPool', undefined, 'busy')!;
          const other = JSON.stringify({ '10.70.0.1': { pod: 'x/other', podUid: 'u' } });
          api.update({ ...cur, status: { allocatedIPs: other, allocatedIPCount: 1 } });
        }
      };
      const s = new KubernetesStore(sourceOf(api));
      const r = await s.allocate(holder('c1'), [{ family: 4, candidates: [p] }]);
      assert.ok(r.ok);
      assert.equal(r.allocations[0]?.ip, '10.70.0.2', 're-read after the 409 saw the other writer');
      assert.equal(s.stats.conflicts, 1);
      assert.deepEqual(Object.keys(poolStatus(api, 'busy').ips), ['10.70.0.1', '10.70.0.2']);

      interfere = Number.POSITIVE_INFINITY;
      const stubborn = new KubernetesStore(sourceOf(api), { conflictTimeoutMs: 300, backoffMs: 20 });
      const before = api.requests.length;
      const t0 = Date.now();
      let attempts = 0;
      await assert.rejects(
        stubborn.allocate(holder('c2'), [{ family: 4, candidates: [p] }]),
        (e: unknown) => {
          assert.ok(e instanceof CniError);
          assert.equal(e.code, Code.TryAgainLater);
          const m =
            /SpiderIPPool "busy": status update still conflicting after (\d+) attempts in \d+ ms/.exec(
              e.message,
            );
          assert.ok(m, e.message);
          attempts = Number(m[1]);
          return true;
        },
      );
      // The budget is time: it gave up once 300 ms had passed, not after a count of attempts.
      assert.ok(Date.now() - t0 >= 295, `gave up after ${Date.now() - t0} ms`);
      const puts = api.requests.slice(before).filter((q) => q.method === 'PUT' && q.subresource === 'status');
      assert.equal(puts.length, attempts);
      assert.ok(attempts > 1);
    }));

  it('with a watch cache: writes on the cached pool, and a stale copy costs one 409 and a fresh read', () =>
    withApi([spiderPool('cached', 4, '10.71.0.0/24')], async (api) => {
      const p = pool('cached', 4, range('10.71.0.1', '10.71.0.9'));
      const src = new CachedKubernetesSource({ kubeconfig: api.kubeconfigPath });
      src.start();
      try {
        await src.whenSynced();
        const s = new KubernetesStore(src);
        let from = api.requests.length;
        assert.ok((await s.allocate(holder('c1'), [{ family: 4, candidates: [p] }])).ok);
        const made = () =>
          api.requests
            .slice(from)
            .filter((q) => !q.watch)
            .map((q) => `${q.verb} ${q.plural}${q.subresource ? `/${q.subresource}` : ''} ${q.code}`);
        assert.deepEqual(made(), ['update spiderippools/status 200'], 'no read: the cache is current');

        // The cache stops following (its watch ends) and another writer takes 10.71.0.2 meanwhile.
        await src.stop();
        const cur = api.get(API, 'SpiderIPPool', undefined, 'cached')!;
        const map = JSON.parse((cur.status as { allocatedIPs: string }).allocatedIPs) as Record<
          string,
          unknown
        >;
        map['10.71.0.2'] = { pod: 'x/other', podUid: 'u' };
        api.update({ ...cur, status: { allocatedIPs: JSON.stringify(map), allocatedIPCount: 2 } });
        from = api.requests.length;
        const r = await s.allocate(holder('c2'), [{ family: 4, candidates: [p] }]);
        assert.ok(r.ok);
        assert.equal(r.allocations[0]?.ip, '10.71.0.3', 'the fresh read saw the other writer');
        assert.deepEqual(made(), [
          'update spiderippools/status 409',
          'get spiderippools 200',
          'update spiderippools/status 200',
        ]);
        assert.deepEqual(Object.keys(poolStatus(api, 'cached').ips), ['10.71.0.1', '10.71.0.2', '10.71.0.3']);
      } finally {
        await src.stop();
      }
    }));

  it('a status write left unanswered is settled by a newer read: it succeeds once, never twice', () =>
    withApi([spiderPool('slow', 4, '10.72.0.0/24')], async (api) => {
      const p = pool('slow', 4, range('10.72.0.1', '10.72.0.9'));
      let slow = 1;
      // The first status write lands only after the client stopped waiting for it.
      api.before((req) =>
        req.method === 'PUT' && req.subresource === 'status' && slow-- > 0 ? { delayMs: 600 } : undefined,
      );
      const src = new KubernetesSource({ kubeconfig: api.kubeconfigPath, timeoutMs: 300 });
      const s = new KubernetesStore(src);
      const r = await s.allocate(holder('c1'), [{ family: 4, candidates: [p] }]);
      assert.ok(r.ok);
      await new Promise((res) => setTimeout(res, 500)); // the late write has been answered (409) by now
      const ips = poolStatus(api, 'slow').ips;
      assert.deepEqual(Object.keys(ips), [r.allocations[0]?.ip], 'one entry, the address returned');
      assert.equal(poolStatus(api, 'slow').count, 1);
    }));

  it('dual stack: a failed IPv6 allocation releases the IPv4 one again (compensation)', () =>
    withApi([spiderPool('d4', 4, '10.80.0.0/24'), spiderPool('d6', 6, 'fd80::/64')], async (api) => {
      const s = new KubernetesStore(sourceOf(api));
      const v4 = pool('d4', 4, range('10.80.0.1', '10.80.0.9'));
      const v6 = pool('d6', 6, range('fd80::1'));
      const both = [
        { family: 4 as const, candidates: [v4] },
        { family: 6 as const, candidates: [v6] },
      ];
      assert.ok((await s.allocate(holder('a'), both)).ok);
      const r = await s.allocate(holder('b'), both);
      assert.deepEqual(r, { ok: false, reason: 'exhausted', family: 6, pools: ['d6'] });
      assert.deepEqual(Object.keys(poolStatus(api, 'd4').ips), ['10.80.0.1'], 'b holds no IPv4');
      assert.equal(poolStatus(api, 'd4').count, 1);
      assert.deepEqual(await s.get({ containerId: 'b', ifname: 'eth0' }), []);
    }));

  it('an unreachable API is StoreUnavailableError; a source without shared pools is refused', async () => {
    const api = await startKubeApiServer();
    const s = new KubernetesStore(sourceOf(api));
    await s.check(); // loads the kubeconfig while it exists; stop() removes it
    await api.stop();
    await assert.rejects(s.check(), (e: unknown) => {
      assert.ok(e instanceof StoreUnavailableError, String(e));
      assert.equal(e.code, Code.StoreUnavailable);
      assert.match(e.message, /unreachable/);
      return true;
    });
    const local = { listIPPools: async () => [] } as unknown as ClusterSource;
    await assert.rejects(new KubernetesStore(local).open(), (e: unknown) => {
      assert.ok(e instanceof CniError && e.code === Code.InvalidConfig);
      assert.match(e.message, /cannot update SpiderIPPool status/);
      return true;
    });
  });

  it('refuses to overwrite an allocatedIPs it cannot read', () =>
    withApi([spiderPool('broken', 4, '10.90.0.0/24')], async (api) => {
      const cur = api.get(API, 'SpiderIPPool', undefined, 'broken')!;
      api.update({ ...cur, status: { allocatedIPs: 'not json', allocatedIPCount: 3 } });
      const s = new KubernetesStore(sourceOf(api));
      await assert.rejects(
        s.allocate(holder('x'), [{ family: 4, candidates: [pool('broken', 4, range('10.90.0.1'))] }]),
        /SpiderIPPool "broken" status\.allocatedIPs: expected a JSON object string/,
      );
      const after = api.get(API, 'SpiderIPPool', undefined, 'broken')!.status as { allocatedIPs: string };
      assert.equal(after.allocatedIPs, 'not json');
    }));

  it('allocation cost does not grow with pool size (/24 vs /16 vs /8 vs IPv6 /64)', () =>
    withApi(
      [
        spiderPool('p24', 4, '10.24.0.0/24'),
        spiderPool('p16', 4, '10.16.0.0/16'),
        spiderPool('p8', 4, '10.0.0.0/8'),
        spiderPool('p64', 6, 'fd64::/64'),
      ],
      async (api) => {
        const pools = [
          pool('p24', 4, range('10.24.0.1', '10.24.0.254')),
          pool('p16', 4, range('10.16.0.1', '10.16.255.254')),
          pool('p8', 4, range('10.0.0.1', '10.255.255.254')),
          pool('p64', 6, range('fd64::1', 'fd64::ffff:ffff:ffff:ffff')),
        ];
        const n = 10;
        const perPool: Record<string, { requests: number; bytes: number }> = {};
        for (const p of pools) {
          const s = new KubernetesStore(sourceOf(api));
          for (let i = 0; i < 10; i++)
            assert.ok(
              (await s.allocate(holder(`${p.pool}-pre${i}`), [{ family: p.family, candidates: [p] }])).ok,
            );
          const before = api.requests.length;
          for (let i = 0; i < n; i++)
            assert.ok(
              (await s.allocate(holder(`${p.pool}-c${i}`), [{ family: p.family, candidates: [p] }])).ok,
            );
          const status = api.get(API, 'SpiderIPPool', undefined, p.pool)?.status as { allocatedIPs: string };
          perPool[p.pool] = {
            requests: (api.requests.length - before) / n,
            bytes: status.allocatedIPs.length,
          };
        }
        const reqs = Object.values(perPool).map((x) => x.requests);
        // The work of one allocation: a list, a fresh read and a status write of the one pool, and a
        // search through its held entries (Spiderpool's format keeps them in one map), never its range.
        assert.ok(
          reqs.every((r) => r === reqs[0]),
          `API requests per allocation equal for every pool size: ${JSON.stringify(perPool)}`,
        );
        assert.equal(reqs[0], 3, 'list, get and status update per allocation');
        const v4bytes = ['p24', 'p16', 'p8'].map((k) => perPool[k]!.bytes);
        assert.ok(
          Math.max(...v4bytes) - Math.min(...v4bytes) < 15 * 4,
          `the status written grows with the holders, not the range: ${JSON.stringify(perPool)}`,
        );
        console.log(
          `# kubernetes allocation cost by pool size (${n} after 5 held): ${Object.entries(perPool)
            .map(([k, v]) => `${k} ${v.requests} requests, status ${v.bytes} bytes`)
            .join('; ')}`,
        );
      },
    ));

  it('parses its config block', () => {
    assert.deepEqual(parseKubernetesStoreConf({ type: 'kubernetes' }), { type: 'kubernetes' });
    assert.deepEqual(
      parseKubernetesStoreConf({ type: 'kubernetes', conflictTimeoutMs: 3000, backoffMs: 5 }),
      {
        type: 'kubernetes',
        conflictTimeoutMs: 3000,
        backoffMs: 5,
      },
    );
    assert.throws(
      () => parseKubernetesStoreConf({ type: 'kubernetes', conflictTimeoutMs: 0 }),
      /store\.conflictTimeoutMs: expected an integer >= 1, found 0/,
    );
    assert.deepEqual(parseKubernetesStoreConf({ type: 'kubernetes', writes: 'per-allocation' }), {
      type: 'kubernetes',
      writes: 'per-allocation',
    });
    assert.throws(
      () => parseKubernetesStoreConf({ type: 'kubernetes', writes: 'bulk' }),
      /store\.writes: expected "batched" or "per-allocation", found "bulk"/,
    );
    assert.throws(() => parseKubernetesStoreConf({ type: 'etcd' }), /expected "kubernetes"/);
  });
});
