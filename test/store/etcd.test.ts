// The etcd backend against a real etcd process: the shared contract, two "hosts" racing for one pool,
// an unreachable or hung etcd, and allocation cost that does not grow with pool size.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createServer, type Server, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { CniError, Code } from '../../src/cni/errors.js';
import { StoreUnavailableError } from '../../src/store/errors.js';
import { EtcdClient } from '../../src/store/etcd/client.js';
import { EtcdStore, etcdStore, parseEtcdConf } from '../../src/store/etcd/index.js';
import { Keys } from '../../src/store/etcd/keys.js';
import { addrKey, parseIp } from '../../src/store/ip.js';
import type { AllocationStore } from '../../src/store/types.js';
import { type EtcdProcess, haveEtcd, startEtcd } from '../helpers/etcd.js';
import { tierSkip } from '../helpers/tier.js';
import { holder, pool, range, runStoreContract } from './contract.js';

const skip = tierSkip('etcd', haveEtcd ? undefined : 'etcd (Debian etcd-server) is not installed');
let etcd: EtcdProcess | undefined;

before(async () => {
  if (haveEtcd) etcd = await startEtcd();
});
after(async () => {
  await etcd?.stop();
});

const uniquePrefix = () => `/trunkline-test/${randomBytes(6).toString('hex')}/`;
// Generous per-request limit: these tests share 2 CPUs with other suites and etcd fsyncs.
const TIMEOUT_MS = 20_000;
const endpoint = () => {
  if (etcd === undefined) throw new Error('etcd not started');
  return etcd.endpoint;
};

if (haveEtcd) {
  runStoreContract('etcd', async () => {
    const prefix = uniquePrefix();
    return {
      store: new EtcdStore({ endpoints: [endpoint()], prefix, timeoutMs: TIMEOUT_MS }),
      reopen: () => new EtcdStore({ endpoints: [endpoint()], prefix, timeoutMs: TIMEOUT_MS }),
      cleanup: async () => {},
    };
  });
}

async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

function ipsOf(results: { ok: boolean; allocations?: { ip: string }[] }[]): string[] {
  return results.flatMap((r) => (r.ok ? (r.allocations ?? []).map((a) => a.ip) : []));
}

describe('EtcdStore specifics', { skip }, () => {
  it('two hosts allocating 50 each at once from one pool get 100 distinct addresses', async () => {
    const prefix = uniquePrefix();
    const hosts = [0, 1].map(() => new EtcdStore({ endpoints: [endpoint()], prefix, timeoutMs: TIMEOUT_MS }));
    const p = pool('shared', 4, range('10.50.0.1', '10.50.0.254'));
    try {
      const t0 = Date.now();
      const results = await Promise.all(
        Array.from({ length: 100 }, (_, i) =>
          hosts[i % 2]!.allocate(holder(`h${i % 2}-c${i}`), [{ family: 4, candidates: [p] }]),
        ),
      );
      const ms = Date.now() - t0;
      assert.ok(
        results.every((r) => r.ok),
        JSON.stringify(results.find((r) => !r.ok)),
      );
      const ips = ipsOf(results);
      assert.equal(new Set(ips).size, 100, 'no address handed out twice');
      for (const ip of ips) assert.ok(parseIp(ip)!.value >= parseIp('10.50.0.1')!.value);
      const listed = await hosts[0]!.list('shared');
      assert.deepEqual(listed.map((a) => a.ip).sort(), [...ips].sort(), 'the store holds exactly those');
      assert.equal(new Set(listed.map((a) => a.containerId)).size, 100);
      const conflicts = hosts[0]!.stats.conflicts + hosts[1]!.stats.conflicts;
      console.log(`# etcd: 2 hosts x 50 concurrent allocations in ${ms} ms, ${conflicts} lost races retried`);
    } finally {
      for (const h of hosts) await h.close();
    }
  });

  it('under contention: dual stack stays all-or-nothing and exhaustion is reported', async () => {
    const prefix = uniquePrefix();
    const hosts = [0, 1].map(() => new EtcdStore({ endpoints: [endpoint()], prefix, timeoutMs: TIMEOUT_MS }));
    const v4 = pool('v4', 4, range('10.51.0.1', '10.51.0.60'));
    const v6 = pool('v6', 6, range('fd51::1', 'fd51::40'));
    try {
      const results = await Promise.all(
        Array.from({ length: 80 }, (_, i) =>
          hosts[i % 2]!.allocate(holder(`c${i}`), [
            { family: 4, candidates: [v4] },
            { family: 6, candidates: [v6] },
          ]),
        ),
      );
      const okCount = results.filter((r) => r.ok).length;
      assert.equal(okCount, 60, 'exactly the 60 IPv4 addresses were handed out');
      for (const r of results) {
        if (!r.ok) assert.deepEqual(r, { ok: false, reason: 'exhausted', family: 4, pools: ['v4'] });
      }
      const all = await hosts[1]!.list();
      assert.equal(all.filter((a) => a.family === 4).length, 60);
      assert.equal(all.filter((a) => a.family === 6).length, 60, 'no IPv6 without its IPv4');
      assert.equal(new Set(all.map((a) => a.ip)).size, 120);
    } finally {
      for (const h of hosts) await h.close();
    }
  });

  it('unreachable etcd is StoreUnavailableError (code 103) naming the endpoint', async () => {
    const port = await closedPort();
    const s = etcdStore({ endpoints: [`http://127.0.0.1:${port}`], timeoutMs: 1000 });
    try {
      for (const op of [
        () => s.check(),
        () => s.allocate(holder('x'), [{ family: 4, candidates: [pool('p', 4, range('10.9.0.1'))] }]),
        () => s.release({ containerId: 'x', ifname: 'eth0' }),
      ]) {
        await assert.rejects(op(), (e: unknown) => {
          assert.ok(e instanceof StoreUnavailableError, String(e));
          assert.equal(e.code, Code.StoreUnavailable);
          assert.match(e.message, new RegExp(`127\\.0\\.0\\.1:${port}.*ECONNREFUSED`));
          return true;
        });
      }
    } finally {
      await s.close();
    }
  });

  it('an etcd that accepts but never answers times out as StoreUnavailableError', async () => {
    const sockets: Socket[] = [];
    const hung: Server = createServer((sock) => sockets.push(sock));
    await new Promise<void>((r) => hung.listen(0, '127.0.0.1', r));
    const port = (hung.address() as { port: number }).port;
    const s = new EtcdStore({ endpoints: [`http://127.0.0.1:${port}`], timeoutMs: 300 });
    try {
      const t0 = Date.now();
      await assert.rejects(s.check(), (e: unknown) => {
        assert.ok(e instanceof StoreUnavailableError, String(e));
        assert.match(e.message, /no answer within 300 ms/);
        return true;
      });
      assert.ok(Date.now() - t0 < 3000);
    } finally {
      await s.close();
      for (const sock of sockets) sock.destroy();
      await new Promise<void>((r) => hung.close(() => r()));
    }
  });

  it('fails over to the next endpoint', async () => {
    const dead = `http://127.0.0.1:${await closedPort()}`;
    const s = new EtcdStore({ endpoints: [dead, endpoint()], prefix: uniquePrefix() });
    try {
      const r = await s.allocate(holder('x'), [{ family: 4, candidates: [pool('p', 4, range('10.9.0.1'))] }]);
      assert.ok(r.ok);
      assert.equal(r.allocations[0]?.ip, '10.9.0.1');
    } finally {
      await s.close();
    }
  });

  it('keeps container IDs with "/" and odd characters apart', async () => {
    const s = new EtcdStore({ endpoints: [endpoint()], prefix: uniquePrefix(), timeoutMs: TIMEOUT_MS });
    const p = pool('p', 4, range('10.9.1.1', '10.9.1.9'));
    try {
      const a = await s.allocate(holder('a/b'), [{ family: 4, candidates: [p] }]);
      const b = await s.allocate(holder('a', 'b/eth0'), [{ family: 4, candidates: [p] }]);
      assert.ok(a.ok && b.ok);
      assert.notEqual(a.allocations[0]?.ip, b.allocations[0]?.ip);
      assert.equal((await s.get({ containerId: 'a/b', ifname: 'eth0' }))[0]?.ip, a.allocations[0]?.ip);
      assert.equal((await s.release({ containerId: 'a', ifname: 'b/eth0' })).length, 1);
      assert.equal((await s.list()).length, 1);
    } finally {
      await s.close();
    }
  });

  it('allocation cost does not grow with pool size, and a long held run is crossed by bisection', async () => {
    const pools = [
      pool('p24', 4, range('10.24.0.1', '10.24.0.254')),
      pool('p16', 4, range('10.16.0.1', '10.16.255.254')),
      pool('p8', 4, range('10.0.0.1', '10.255.255.254')),
      pool('p64', 6, range('fd64::1', 'fd64::ffff:ffff:ffff:ffff')),
    ];
    const n = 100;
    const line: string[] = [];
    for (const p of pools) {
      const s = new EtcdStore({ endpoints: [endpoint()], prefix: uniquePrefix(), timeoutMs: TIMEOUT_MS });
      try {
        for (let i = 0; i < 50; i++)
          await s.allocate(holder(`pre${i}`), [{ family: p.family, candidates: [p] }]);
        const before = s.stats.searches;
        const t0 = process.hrtime.bigint();
        for (let i = 0; i < n; i++)
          assert.ok((await s.allocate(holder(`c${i}`), [{ family: p.family, candidates: [p] }])).ok);
        const us = Number(process.hrtime.bigint() - t0) / 1e3 / n;
        const perAlloc = (s.stats.searches - before) / n;
        assert.equal(perAlloc, 1, `${p.pool}: one range request per allocation finds the free address`);
        line.push(`${p.pool} ${(us / 1000).toFixed(2)} ms`);
      } finally {
        await s.close();
      }
    }
    console.log(`# etcd allocation cost by pool size (${n} sequential after 50 held): ${line.join(', ')}`);

    // 20 000 addresses of a /16 already claimed from its start, cursor at the start: the first free
    // address is found in O(log pool size) count-only requests, not by walking the claimed run.
    const prefix = uniquePrefix();
    const keys = new Keys(prefix);
    const client = new EtcdClient([endpoint()], TIMEOUT_MS);
    const held = 20_000;
    try {
      for (let i = 0; i < held; i += 100) {
        const ops = Array.from({ length: 100 }, (_, j) => ({
          put: { key: keys.ipOfKey(addrKey(4, parseIp('10.16.0.1')!.value + BigInt(i + j))), value: '{}' },
        }));
        await client.txn([], ops);
      }
    } finally {
      client.close();
    }
    const s = new EtcdStore({ endpoints: [endpoint()], prefix, timeoutMs: TIMEOUT_MS });
    try {
      const r = await s.allocate(holder('late'), [{ family: 4, candidates: [pools[1]!] }]);
      assert.ok(r.ok);
      assert.equal(r.allocations[0]?.ip, '10.16.78.33', 'the address right after the 20 000 held ones');
      assert.ok(s.stats.searches <= 20, `found in ${s.stats.searches} requests`);
      console.log(`# etcd: first free after ${held} held addresses found in ${s.stats.searches} requests`);
    } finally {
      await s.close();
    }
  });

  it('parses its config block', () => {
    assert.deepEqual(parseEtcdConf({ type: 'etcd', endpoints: ['http://10.0.0.1:2379'] }), {
      type: 'etcd',
      endpoints: ['http://10.0.0.1:2379'],
    });
    assert.deepEqual(
      parseEtcdConf({ type: 'etcd', endpoints: ['https://e:2379'], prefix: '/x/y/', timeoutMs: 200 }),
      { type: 'etcd', endpoints: ['https://e:2379'], prefix: '/x/y/', timeoutMs: 200 },
    );
    const bad: [unknown, RegExp][] = [
      [{ type: 'etcd' }, /store\.endpoints: expected a non-empty list/],
      [{ type: 'etcd', endpoints: ['10.0.0.1:2379'] }, /store\.endpoints\[0\]: expected an http\(s\) URL/],
      [{ type: 'etcd', endpoints: ['http://e'], prefix: 'x/' }, /store\.prefix/],
      [{ type: 'etcd', endpoints: ['http://e'], timeoutMs: 0 }, /store\.timeoutMs/],
      [{ type: 'sqlite' }, /store\.type: expected "etcd"/],
    ];
    for (const [raw, re] of bad) {
      assert.throws(
        () => parseEtcdConf(raw),
        (e: unknown) => e instanceof CniError && e.code === Code.InvalidConfig && re.test(e.message),
      );
    }
    const s: AllocationStore = etcdStore({ endpoints: ['http://a:1', 'http://b:2'] });
    assert.equal(s.description, 'etcd:http://a:1,http://b:2/trunkline/ipam/');
  });
});
