// Property (issue 16): any interleaving of ADD, DEL, CHECK and GC for many containers on one small
// pool — with containers that die without a DEL, and more containers than addresses — keeps the pool's
// holders equal to the model after every step, and ends, after a GC with the live containers, with the
// holders equal to the live containers. ADD goes through the IPAM domain operation; DEL, CHECK and GC
// are the store calls the plugin makes. Per store: SQLite and etcd (a real etcd process).
// Sizes: TRUNKLINE_PROP_RUNS (default 60 sequences on SQLite, a quarter of that on etcd) of at most
// 40 commands; TRUNKLINE_PROP_SEED replays a run (printed).
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import type { SpiderIPPool } from '../../src/cluster/types.js';
import { CniError, Code } from '../../src/cni/errors.js';
import { allocate } from '../../src/ipam/allocate.js';
import { EtcdStore } from '../../src/store/etcd/index.js';
import { SqliteStore } from '../../src/store/sqlite.js';
import type { AllocationStore } from '../../src/store/types.js';
import { envInt } from '../helpers/chaos.js';
import { type EtcdProcess, haveEtcd, startEtcd } from '../helpers/etcd.js';
import { tierSkip } from '../helpers/tier.js';

const RUNS = envInt('TRUNKLINE_PROP_RUNS', 60);
const SEED = envInt('TRUNKLINE_PROP_SEED', Date.now() % 1_000_000);
const CAPACITY = 12;
const POOL: SpiderIPPool = {
  metadata: { name: 'prop' },
  spec: { subnet: '10.99.0.0/28', ips: [`10.99.0.1-10.99.0.${CAPACITY}`] },
};
const IDS = Array.from({ length: 16 }, (_, i) => `c${i}`);

interface Model {
  held: Map<string, string>;
  live: Set<string>;
  /** Died without a DEL: still holding until GC; container ids are never reused. */
  dead: Set<string>;
}
interface Real {
  store: AllocationStore;
}
type Cmd = fc.AsyncCommand<Model, Real>;

/** The store's holders of the pool, as the model sees them. */
async function agree(m: Model, r: Real, after: string): Promise<void> {
  const list = await r.store.list('prop');
  const ips = list.map((a) => a.ip);
  assert.equal(new Set(ips).size, ips.length, `${after}: an address held twice: ${ips.join(' ')}`);
  assert.deepEqual(
    new Map(list.map((a) => [a.containerId, a.ip])),
    m.held,
    `${after}: the store's holders differ from the model`,
  );
}

class Add implements Cmd {
  constructor(readonly id: string) {}
  check = (m: Readonly<Model>) => !m.dead.has(this.id);
  async run(m: Model, r: Real): Promise<void> {
    const had = m.held.get(this.id);
    try {
      const out = await allocate({
        store: r.store,
        pools: [POOL],
        reserved: [],
        podNamespace: 'prop',
        podName: this.id,
        containerId: this.id,
        ifname: 'eth0',
        defaults: { ipv4: ['prop'] },
      });
      const ip = out.allocations[0]!.ip;
      if (had !== undefined) assert.equal(ip, had, `${this}: a repeated ADD returns the held address`);
      else assert.ok(m.held.size < CAPACITY, `${this}: got ${ip} from a full pool`);
      m.held.set(this.id, ip);
      m.live.add(this.id);
    } catch (e) {
      assert.ok(e instanceof CniError && e.code === Code.PoolExhausted, `${this}: ${String(e)}`);
      assert.equal(had, undefined, `${this}: a holder was refused its own address`);
      assert.equal(m.held.size, CAPACITY, `${this}: exhausted with ${m.held.size} of ${CAPACITY} held`);
    }
    await agree(m, r, String(this));
  }
  toString = () => `ADD ${this.id}`;
}

class Del implements Cmd {
  constructor(readonly id: string) {}
  check = (m: Readonly<Model>) => !m.dead.has(this.id);
  async run(m: Model, r: Real): Promise<void> {
    const gone = await r.store.release({ containerId: this.id, ifname: 'eth0' });
    const want = m.held.get(this.id);
    assert.deepEqual(
      gone.map((a) => a.ip),
      want === undefined ? [] : [want],
      `${this}: released exactly what it held (idempotent when nothing)`,
    );
    m.held.delete(this.id);
    m.live.delete(this.id);
    await agree(m, r, String(this));
  }
  toString = () => `DEL ${this.id}`;
}

class Check implements Cmd {
  constructor(readonly id: string) {}
  check = () => true;
  async run(m: Model, r: Real): Promise<void> {
    const have = await r.store.get({ containerId: this.id, ifname: 'eth0' });
    const want = m.held.get(this.id);
    assert.deepEqual(
      have.map((a) => a.ip),
      want === undefined ? [] : [want],
      `${this}: the store answers with the held address`,
    );
  }
  toString = () => `CHECK ${this.id}`;
}

/** The container dies and the runtime never calls DEL: only GC can reclaim its address. */
class Crash implements Cmd {
  constructor(readonly id: string) {}
  check = (m: Readonly<Model>) => m.live.has(this.id);
  async run(m: Model): Promise<void> {
    m.live.delete(this.id);
    m.dead.add(this.id);
  }
  toString = () => `CRASH ${this.id}`;
}

class Gc implements Cmd {
  check = () => true;
  async run(m: Model, r: Real): Promise<void> {
    const valid = [...m.live].map((containerId) => ({ containerId, ifname: 'eth0' }));
    const gone = await r.store.releaseAllExcept(valid);
    const stale = [...m.held.keys()].filter((id) => !m.live.has(id)).sort();
    assert.deepEqual(gone.map((a) => a.containerId).sort(), stale, 'GC released exactly the dead holders');
    for (const id of stale) m.held.delete(id);
    await agree(m, r, 'GC');
  }
  toString = () => 'GC';
}

const id = fc.constantFrom(...IDS);
const commands = fc.commands(
  [
    id.map((x) => new Add(x)),
    id.map((x) => new Add(x)),
    id.map((x) => new Del(x)),
    id.map((x) => new Check(x)),
    id.map((x) => new Crash(x)),
    fc.constant(new Gc()),
  ],
  { maxCommands: 40, size: 'max' },
);

async function campaign(t: { diagnostic(s: string): void }, runs: number, open: () => Promise<Real>) {
  t.diagnostic(`seed ${SEED} (TRUNKLINE_PROP_SEED), ${runs} runs (TRUNKLINE_PROP_RUNS) of <= 40 commands`);
  let steps = 0;
  await fc.assert(
    fc.asyncProperty(commands, async (cmds) => {
      const real = await open();
      const model: Model = { held: new Map(), live: new Set(), dead: new Set() };
      try {
        await fc.asyncModelRun(() => ({ model, real }), cmds);
        steps += [...cmds].length;
        // The end: a GC with the live containers leaves exactly them holding.
        await new Gc().run(model, real);
        assert.deepEqual([...model.held.keys()].sort(), [...model.live].sort());
      } finally {
        await real.store.close();
      }
    }),
    { numRuns: runs, seed: SEED, endOnFailure: true },
  );
  t.diagnostic(`${runs} random sequences, ${steps} commands, holders == model after every step`);
}

describe('property: ADD/DEL/CHECK/GC interleavings keep holders == containers', { timeout: 600_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'chaos-prop-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('SQLite', async (t) => {
    let n = 0;
    await campaign(t, RUNS, async () => ({ store: new SqliteStore({ path: join(dir, `p${n++}.db`) }) }));
  });

  describe('etcd', {
    skip: tierSkip('etcd', haveEtcd ? undefined : 'etcd (Debian etcd-server) is not installed'),
  }, () => {
    let etcd: EtcdProcess | undefined;
    before(async () => {
      etcd = await startEtcd();
    });
    after(async () => {
      await etcd?.stop();
    });
    it('etcd', async (t) => {
      await campaign(t, Math.max(1, Math.round(RUNS / 4)), async () => ({
        store: new EtcdStore({
          endpoints: [etcd!.endpoint],
          prefix: `/chaos-prop/${randomBytes(6).toString('hex')}/`,
          timeoutMs: 20_000,
        }),
      }));
    });
  });
});
