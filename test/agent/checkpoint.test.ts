// Quiet-moment WAL checkpoints: the agent's SQLite store leaves its WAL to the agent, which copies it
// into the database once nothing is in flight — never while a request is.
import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { AGENT_WAL_PAGES, QuietCheckpoints } from '../../src/agent/checkpoint.js';
import { parseIp } from '../../src/store/ip.js';
import { SqliteStore } from '../../src/store/sqlite.js';
import { tempDir } from './helpers.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('quiet-moment checkpoints', () => {
  const tmp = tempDir();
  after(() => tmp.cleanup());

  async function written(name: string): Promise<SqliteStore> {
    const store = new SqliteStore({ path: join(tmp.path, `${name}.db`), walAutoCheckpoint: AGENT_WAL_PAGES });
    await store.open();
    const lo = parseIp('10.69.0.10')!.value;
    const candidates = [{ pool: 'p', family: 4 as const, intervals: [{ start: lo, end: lo + 200n }] }];
    for (let i = 0; i < 40; i++) {
      const r = await store.allocate({ containerId: `c${i}`, ifname: 'eth0' }, [{ family: 4, candidates }]);
      assert.ok(r.ok);
      await store.release({ containerId: `c${i}`, ifname: 'eth0' });
    }
    return store;
  }

  it('checkpoints once the agent has been idle for the delay', async () => {
    const store = await written('idle');
    const cp = new QuietCheckpoints(
      () => [store],
      () => false,
      20,
    );
    cp.idle();
    cp.idle(); // a second idle() re-arms the same timer
    await sleep(100);
    assert.equal(cp.runs, 1);
    assert.ok(cp.pages > 0, 'the WAL the writes left was copied into the database');
    assert.ok(statSync(join(tmp.path, 'idle.db-wal')).size > 0, 'the WAL is reused, not truncated');
    await store.close();
  });

  it('does not checkpoint while a request is in flight', async () => {
    const store = await written('busy');
    let busy = true;
    const cp = new QuietCheckpoints(
      () => [store],
      () => busy,
      20,
    );
    cp.idle();
    await sleep(80);
    assert.equal(cp.runs, 0);
    busy = false;
    cp.idle();
    await sleep(80);
    assert.equal(cp.runs, 1);
    assert.ok(cp.pages > 0);
    cp.stop();
    await store.close();
  });
});
