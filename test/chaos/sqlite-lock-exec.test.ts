// Store faults through the real executables, SQLite (issue 16): concurrent ADDs through the C shim,
// once served by the bundled plugin processes and once by the node agent (its database kept open),
// while another process (the sqlite3 shell) holds the database's write lock for longer than the
// store's busy timeout: the lock stays until every pod's first ADD has been refused. Each refused ADD
// must be code 11 saying the database stayed locked, hold nothing, and succeed when the runtime
// retries after the lock is gone. Invariants (exec-burst.ts): no duplicate among successful ADDs, each
// in its pod, no call past the shim deadline, every failure a CNI error without a stack trace, the
// database holding exactly the successful ADDs, and after DEL of everything no link and no allocation
// left. Sizes: TRUNKLINE_CHAOS_PODS (default 8) per run.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Code } from '../../src/cni/errors.js';
import { SqliteStore } from '../../src/store/sqlite.js';
import { macvlanConf, startAgent, type TestAgent, tempDir } from '../agent/helpers.js';
import { envInt } from '../helpers/chaos.js';
import type { PluginRun } from '../helpers/cni.js';
import { Scene } from '../helpers/netns.js';
import { tierSkip } from '../helpers/tier.js';
import { execBurst, execSummary, settleExec, shimCaller, stopAgentAfter } from './exec-burst.js';
import { lockFor, SQLITE3 } from './sqlite-locker.js';

const PODS = envInt('TRUNKLINE_CHAOS_PODS', 8);
const BUSY_MS = 300;
const TIMEOUT_MS = 30_000;
/** The lock is released at the latest then, whether or not every first ADD has met it. */
const MAX_LOCK_MS = 40_000;

describe('store faults through the executables: SQLite locked by another process past the busy timeout', {
  timeout: 300_000,
  skip: tierSkip('sqlite3', existsSync(SQLITE3) ? undefined : 'sqlite3 (Debian sqlite3) is not installed'),
}, () => {
  const scene = new Scene('faultss');
  const tmp = tempDir();
  let host: ReturnType<Scene['host']>;
  let agent: TestAgent | undefined;

  before(() => {
    host = scene.host();
  });
  after(async () => {
    await agent?.stop();
    scene.cleanup();
    tmp.cleanup();
  });

  /** A pool manifest and the macvlan + trunkline-ipam config of a network on its own database. */
  async function network(tag: string, subnet: string, busyTimeoutMs: number) {
    const pool = `faults-sqlite-${tag}`;
    const db = join(tmp.path, `ipam-${tag}.db`);
    const store = new SqliteStore({ path: db });
    await store.check(); // the schema the locker writes into
    await store.close();
    const manifests = join(tmp.path, `manifests-${tag}`);
    mkdirSync(manifests);
    writeFileSync(
      join(manifests, 'pool.yaml'),
      `apiVersion: spiderpool.spidernet.io/v2beta1\nkind: SpiderIPPool\nmetadata: {name: ${pool}}\n` +
        `spec: {subnet: ${subnet}.0/24, ips: [${subnet}.10-${subnet}.200]}\n`,
    );
    const conf = macvlanConf(
      host.master,
      {
        type: 'trunkline-ipam',
        default_ipv4_ippool: [pool],
        manifestDir: manifests,
        stateDir: join(tmp.path, `state-${tag}`),
        store: { path: db, busyTimeoutMs },
      },
      pool,
    );
    const held = async () => {
      const s = new SqliteStore({ path: db });
      try {
        return (await s.list(pool)).map((a) => a.containerId);
      } finally {
        await s.close();
      }
    };
    return { pool, db, conf, held };
  }

  for (const mode of ['no agent', 'agent'] as const) {
    it(`${mode}: ${PODS} concurrent ADDs through the shim, code 11 while locked, nothing held`, async (t) => {
      const tag = mode === 'agent' ? 'a' : 'n';
      const { db, conf, held } = await network(tag, mode === 'agent' ? '10.77.1' : '10.77.2', BUSY_MS);
      if (mode === 'agent') agent = await startAgent(host.path, tmp.path);
      const pods = Array.from({ length: PODS }, (_, i) => scene.netns(`${tag}${i}`));
      const o = {
        what: `sqlite lock ${mode}`,
        seed: 0,
        hostNs: host.name,
        pods,
        idPrefix: `faults-s-${tag}-`,
        attempts: 10,
        timeoutMs: TIMEOUT_MS,
        backoffMs: 100,
        call: shimCaller(host.path, conf, TIMEOUT_MS, agent?.socket),
      };
      const t0 = Date.now();
      const lock = await lockFor(db);
      const lockedAt = Date.now();
      let unlockedAt = 0;
      const refused = new Set<string>();
      const whileLocked: PluginRun[] = [];
      const giveUp = setTimeout(() => lock.release(), MAX_LOCK_MS);
      const plain = o.call;
      o.call = async (command, id, netns) => {
        const r = await plain(command, id, netns);
        if (command === 'ADD' && r.code !== 0 && unlockedAt === 0) {
          whileLocked.push(r);
          refused.add(id);
          if (refused.size === PODS) {
            unlockedAt = Date.now();
            lock.release();
          }
        }
        return r;
      };
      const out = await execBurst(o);
      clearTimeout(giveUp);
      await lock.released;
      o.call = plain;
      t.diagnostic(
        `${mode}: lock held ${(unlockedAt || Date.now()) - lockedAt} ms, busy timeout ${BUSY_MS} ms: ${execSummary(out)}`,
      );
      assert.equal(
        refused.size,
        PODS,
        'every pod met the lock (it was held until each first ADD was refused)',
      );
      for (const r of whileLocked) {
        assert.equal(r.json?.['code'], Code.TryAgainLater, r.stdout);
        assert.match(String(r.json?.['msg']), new RegExp(`stayed locked for ${BUSY_MS} ms`), r.stdout);
      }
      assert.deepEqual([...out.failures.keys()], [Code.TryAgainLater], 'the lock is only ever code 11');
      assert.equal(out.ok.length, PODS, 'every ADD succeeded once the lock was gone');
      await settleExec(o, out, held);
      if (agent) await stopAgentAfter(agent, out, o.what);
      agent = undefined;
      t.diagnostic(
        `sqlite lock (${mode}): ${whileLocked.length} ADDs refused with code 11 while locked, ${PODS}/${PODS} ` +
          `succeeded after, 0 duplicates, 0 links and 0 allocations left, ${Date.now() - t0} ms`,
      );
    });
  }

  it('agent: a database locked past its busy timeout holds up no other network', async (t) => {
    const busyMs = 3_000;
    const locked = await network('l', '10.77.3', busyMs);
    const free = await network('f', '10.77.4', busyMs);
    agent = await startAgent(host.path, tmp.path);
    const onLocked = shimCaller(host.path, locked.conf, TIMEOUT_MS, agent.socket);
    const onFree = shimCaller(host.path, free.conf, TIMEOUT_MS, agent.socket);
    const pods = Array.from({ length: 4 }, (_, i) => scene.netns(`l${i}`));
    const other = scene.netns('f0');
    const lock = await lockFor(locked.db);
    try {
      const t0 = Date.now();
      const stuck = pods.map((p, i) => onLocked('ADD', `faults-s-l-${i}`, p.path));
      // Let the four reach the agent and start waiting on the lock.
      await new Promise((r) => setTimeout(r, 300));
      const t1 = Date.now();
      const add = await onFree('ADD', 'faults-s-f-0', other.path);
      const otherMs = Date.now() - t1;
      const refused = await Promise.all(stuck);
      const lockedMs = Date.now() - t0;
      t.diagnostic(
        `another network's ADD took ${otherMs} ms while 4 ADDs waited ${busyMs} ms on a locked database (done after ${lockedMs} ms)`,
      );
      assert.equal(add.code, 0, add.stdout);
      for (const r of refused) {
        assert.equal(r.json?.['code'], Code.TryAgainLater, r.stdout);
        assert.match(String(r.json?.['msg']), /stayed locked for 3000 ms/);
      }
      // Not one busy timeout, let alone one per waiting request: the wait is not on the event loop.
      assert.ok(otherMs < busyMs - 500, `the other network's ADD took ${otherMs} ms`);
      assert.ok(lockedMs < 2 * busyMs + 2_000, `the four waits overlapped (${lockedMs} ms in all)`);
    } finally {
      lock.release();
      await lock.released;
    }
    for (const [i, p] of pods.entries()) {
      const del = await onLocked('DEL', `faults-s-l-${i}`, p.path);
      assert.equal(del.code, 0, del.stdout);
    }
    assert.equal((await onFree('DEL', 'faults-s-f-0', other.path)).code, 0);
    assert.deepEqual([...(await locked.held()), ...(await free.held())], []);
    await agent.stop();
    agent = undefined;
  });
});
