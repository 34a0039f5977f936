// Many separate Node processes against one SQLite store: no duplicates, no partial dual-stack
// allocations, exhaustion reported, and nothing lost or duplicated when processes are SIGKILLed
// mid-burst (after GC with the live holders).
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { build } from 'esbuild';
import type { SpiderIPPool } from '../../src/cluster/types.js';
import { parseIp } from '../../src/store/ip.js';
import { SqliteStore } from '../../src/store/sqlite.js';
import { ROOT } from '../helpers/paths.js';

// Workers run as one bundled CommonJS file with the sqlite addon passed explicitly, exactly like
// dist/cni executables (and without paying a TypeScript loader 200 times).
let WORKER = '';
const ADDON = join(ROOT, 'node_modules', 'better-sqlite3', 'build', 'Release', 'better_sqlite3.node');

interface Line {
  ok: boolean;
  containerId: string;
  ips?: string[];
  code?: number;
  msg?: string;
}
interface Run {
  child: ChildProcess;
  done: Promise<{ code: number | null; signal: NodeJS.Signals | null; lines: Line[] }>;
}

function worker(args: string[], holdLast = false): Run {
  const child = spawn(process.execPath, [WORKER, ...args], {
    stdio: [holdLast ? 'pipe' : 'ignore', 'pipe', 'pipe'],
    env: {
      ...process.env,
      TRUNKLINE_SQLITE_BINDING: ADDON,
      ...(holdLast ? { ALLOC_WORKER_HOLD_LAST: '1' } : {}),
    },
  });
  let out = '';
  let err = '';
  child.stdout?.on('data', (c: Buffer) => {
    out += c.toString();
  });
  child.stderr?.on('data', (c: Buffer) => {
    err += c.toString();
  });
  const done = new Promise<{ code: number | null; signal: NodeJS.Signals | null; lines: Line[] }>(
    (resolve, reject) => {
      child.on('error', reject);
      child.on('close', (code, signal) => {
        if (code !== null && code !== 0 && code !== 2) reject(new Error(`worker exited ${code}: ${err}`));
        // A line cut short by SIGKILL is not a reported success.
        const lines = out
          .split('\n')
          .filter((l) => l.endsWith('}'))
          .map((l) => JSON.parse(l) as Line);
        resolve({ code, signal, lines });
      });
    },
  );
  return { child, done };
}

function v4(ip: string): bigint {
  return parseIp(ip.split('/')[0]!)!.value;
}

const POOLS: SpiderIPPool[] = [
  { metadata: { name: 'load-v4' }, spec: { subnet: '10.77.0.0/24', ips: ['10.77.0.0-10.77.0.255'] } },
  { metadata: { name: 'load-v6' }, spec: { subnet: 'fd77::/64', ips: ['fd77::1-fd77::28'] } },
  { metadata: { name: 'crash-v4' }, spec: { subnet: '10.78.0.0/21', ips: ['10.78.0.1-10.78.7.254'] } },
];

let dir: string;
let poolsFile: string;
before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'trunkline-conc-'));
  poolsFile = join(dir, 'pools.json');
  writeFileSync(poolsFile, JSON.stringify(POOLS));
  WORKER = join(dir, 'alloc-worker.cjs');
  await build({
    entryPoints: [join(ROOT, 'test', 'store', 'alloc-worker.ts')],
    outfile: WORKER,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    logLevel: 'error',
  });
});
after(() => rmSync(dir, { recursive: true, force: true }));

describe('concurrent plugin processes on one store', { timeout: 600_000 }, () => {
  it('200 processes at once get 200 distinct addresses; the extra ones are exhausted, no partial dual stack', async () => {
    const db = join(dir, 'load.db');
    const t0 = Date.now();
    const first = await Promise.all(
      Array.from({ length: 200 }, (_, i) => worker([db, poolsFile, `p${i}`, '1', 'load-v4']).done),
    );
    const secs = (Date.now() - t0) / 1000;
    const lines = first.flatMap((r) => r.lines);
    assert.equal(lines.length, 200);
    assert.deepEqual(
      lines.filter((l) => !l.ok),
      [],
    );
    const ips = lines.map((l) => l.ips?.[0] ?? '');
    assert.equal(new Set(ips).size, 200, 'all distinct');
    for (const ip of ips) {
      const v = v4(ip);
      assert.ok(
        v > v4('10.77.0.0') && v < v4('10.77.0.255') && ip.endsWith('/24'),
        `${ip} inside the /24, not network/broadcast`,
      );
    }
    console.log(`# 200 concurrent processes allocated in ${secs.toFixed(1)} s`);

    // 54 IPv4 addresses remain. 70 dual-stack requests against an IPv6 pool of only 40: the first 40
    // get both; every later one takes an IPv4 address inside its transaction, finds IPv6 exhausted
    // and must roll the IPv4 back.
    const second = await Promise.all(
      Array.from({ length: 70 }, (_, i) => worker([db, poolsFile, `q${i}`, '1', 'load-v4', 'load-v6']).done),
    );
    const dual = second.flatMap((r) => r.lines);
    assert.equal(dual.filter((l) => l.ok).length, 40);
    for (const l of dual.filter((x) => x.ok)) assert.equal(l.ips?.length, 2);
    for (const b of dual.filter((l) => !l.ok)) {
      assert.equal(b.code, 100, b.msg);
      assert.match(
        b.msg ?? '',
        /no free IPv6 address for pod load\/q\d+-0 interface eth1: pool "load-v6" is exhausted/,
      );
    }

    // Then IPv4 only: the 14 rolled-back addresses are free again; the 6 extra requests are exhausted.
    const third = await Promise.all(
      Array.from({ length: 20 }, (_, i) => worker([db, poolsFile, `r${i}`, '1', 'load-v4']).done),
    );
    const v4only = third.flatMap((r) => r.lines);
    assert.equal(v4only.filter((l) => l.ok).length, 14);
    for (const b of v4only.filter((l) => !l.ok)) {
      assert.equal(b.code, 100, b.msg);
      assert.match(
        b.msg ?? '',
        /no free IPv4 address for pod load\/r\d+-0 interface eth1: pool "load-v4" is exhausted/,
      );
    }

    const store = new SqliteStore({ path: db });
    try {
      const all = await store.list();
      assert.equal(all.filter((a) => a.pool === 'load-v4').length, 254);
      assert.equal(all.filter((a) => a.pool === 'load-v6').length, 40);
      assert.equal(new Set(all.map((a) => a.ip)).size, all.length, 'no address twice');
      const failed = new Set([...dual, ...v4only].filter((l) => !l.ok).map((l) => l.containerId));
      assert.ok(
        all.every((a) => !failed.has(a.containerId)),
        'failed requests hold nothing (no partial dual stack)',
      );
    } finally {
      await store.close();
    }
  });

  it('SIGKILL at random points during a burst loses and duplicates nothing after GC with the live holders', async () => {
    const db = join(dir, 'crash.db');
    // 20 processes allocate 20 addresses each and finish; 20 others start a burst of 60 and are each
    // SIGKILLed as soon as their first allocation shows on stdout: under 40-way lock contention
    // mostly inside or between transactions, at worst (a parent slower than the burst) while the
    // process waits before its last allocation, which it never makes without the parent.
    const BURST = 60; // 20 x 59 held at most, plus 20 x 20: the /21 never runs out
    const runs = Array.from({ length: 40 }, (_, i) =>
      i % 2 === 0
        ? worker([db, poolsFile, `k${i}`, String(BURST), 'crash-v4'], true)
        : worker([db, poolsFile, `k${i}`, '20', 'crash-v4']),
    );
    const killed = new Set<number>();
    runs.forEach((r, i) => {
      if (i % 2 === 1) return;
      r.child.stdout?.once('data', () => {
        killed.add(i);
        r.child.kill('SIGKILL');
      });
    });
    const results = await Promise.all(runs.map((r) => r.done));
    const reported = results.flatMap((r) => r.lines).filter((l) => l.ok);
    const byKilled = [...killed].map((i) => results[i]!.lines.filter((l) => l.ok).length);
    console.log(
      `# crash burst: ${killed.size} of 20 targeted processes SIGKILLed mid-burst after ${Math.min(...byKilled)}..${Math.max(...byKilled)} of ${BURST} reported allocations, ${reported.length} reported in all`,
    );
    assert.equal(killed.size, 20, 'every targeted process reported a first allocation and was signalled');
    for (const i of killed) {
      assert.equal(results[i]?.signal, 'SIGKILL', `process ${i} died by SIGKILL, not by finishing`);
      assert.ok(results[i]!.lines.length < BURST, `process ${i} was killed before the end of its burst`);
    }
    for (const [i, r] of results.entries()) {
      if (!killed.has(i)) {
        assert.equal(r.code, 0, `process ${i} finished normally`);
        assert.equal(r.lines.filter((l) => l.ok).length, 20, `process ${i} got its 20 addresses`);
      }
    }

    const live = new Map(reported.map((l) => [l.containerId, l.ips?.[0]?.split('/')[0]]));
    const store = new SqliteStore({ path: db });
    try {
      const before = await store.list();
      assert.equal(new Set(before.map((a) => a.ip)).size, before.length, 'no duplicate addresses');
      // Per kill: the store holds exactly what the process reported, plus at most the one
      // allocation committed before its line reached stdout; per finished process, its 20.
      let unreported = 0;
      for (const [i, r] of results.entries()) {
        const ok = r.lines.filter((l) => l.ok).length;
        const held = before
          .filter((a) => a.containerId.startsWith(`k${i}-`))
          .map((a) => Number(a.containerId.slice(`k${i}-`.length)))
          .sort((x, y) => x - y);
        const n = killed.has(i) ? held.length : ok;
        assert.ok(
          n === ok || n === ok + 1,
          `process ${i}: ${ok} reported, ${held.length} held (killed: ${killed.has(i)})`,
        );
        assert.deepEqual(held, [...Array(n).keys()], `process ${i} holds its allocations in order, no gap`);
        unreported += n - ok;
      }
      console.log(
        `# crash burst: ${unreported} allocations committed but never reported by a killed process`,
      );
      for (const [cid, ip] of live) {
        assert.equal(
          before.find((a) => a.containerId === cid)?.ip,
          ip,
          `reported allocation of ${cid} is stored`,
        );
      }
      const released = await store.releaseAllExcept(
        [...live.keys()].map((containerId) => ({ containerId, ifname: 'eth1' })),
      );
      const afterGc = await store.list();
      assert.equal(afterGc.length, live.size, 'allocated == live holders');
      assert.deepEqual(new Map(afterGc.map((a) => [a.containerId, a.ip])), live);
      assert.equal(released.length, before.length - live.size);

      // The free space is intact: everything not held can still be handed out exactly once.
      const { default: Database } = await import('better-sqlite3');
      const raw = new Database(db, { readonly: true });
      assert.equal(raw.pragma('integrity_check', { simple: true }), 'ok');
      raw.close();
      const usable = 2046;
      const rest = await Promise.all(
        [0, 1, 2].map((i) => worker([db, poolsFile, `r${i}`, String(usable), 'crash-v4']).done),
      );
      const got = rest
        .flatMap((r) => r.lines)
        .filter((l) => l.ok)
        .map((l) => l.ips?.[0]?.split('/')[0]);
      assert.equal(got.length, usable - live.size);
      const everything = new Set([...got, ...live.values()]);
      assert.equal(everything.size, usable, 'every usable address held exactly once');
    } finally {
      await store.close();
    }
  });
});
