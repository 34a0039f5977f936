// Store faults, etcd (issue 16): a burst of ADDs on two "hosts" while the real etcd process is
// SIGKILLed at a seeded moment and restarted on its data dir a little later; the runtime retries
// failed ADDs after a DEL. Invariants (burst.ts): no duplicates, every success held, every failure a
// CNI error, nothing hung, nothing left after DEL. Sizes: TRUNKLINE_CHAOS_PODS (default 8) per host,
// TRUNKLINE_CHAOS_ROUNDS (default 3) kill/restart rounds; TRUNKLINE_CHAOS_SEED replays (printed).
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { SpiderIPPool } from '../../src/cluster/types.js';
import { EtcdStore } from '../../src/store/etcd/index.js';
import { envInt, rng } from '../helpers/chaos.js';
import { type EtcdProcess, haveEtcd, startEtcd } from '../helpers/etcd.js';
import { tierSkip } from '../helpers/tier.js';
import { type BurstOutcome, burst, settle, summary } from './burst.js';

const PODS = envInt('TRUNKLINE_CHAOS_PODS', 8);
const ROUNDS = envInt('TRUNKLINE_CHAOS_ROUNDS', 3);
const SEED = envInt('TRUNKLINE_CHAOS_SEED', Date.now() % 1_000_000);
const POOL: SpiderIPPool = {
  metadata: { name: 'chaos-etcd' },
  spec: { ipVersion: 4, subnet: '10.72.0.0/24', ips: ['10.72.0.10-10.72.0.200'] },
};

describe('store faults: etcd SIGKILLed and restarted mid-burst', {
  timeout: 300_000,
  skip: tierSkip('etcd', haveEtcd ? undefined : 'etcd (Debian etcd-server) is not installed'),
}, () => {
  let etcd: EtcdProcess | undefined;
  before(async () => {
    etcd = await startEtcd();
  });
  after(async () => {
    await etcd?.stop();
  });

  it(`${ROUNDS} rounds of 2 hosts x ${PODS} concurrent ADDs with etcd killed`, async (t) => {
    t.diagnostic(`seed ${SEED} (TRUNKLINE_CHAOS_SEED), ${ROUNDS} rounds x 2 hosts x ${PODS} pods`);
    const r = rng(SEED);
    const prefix = `/chaos-etcd/${randomBytes(6).toString('hex')}/`;
    const hosts = [0, 1].map(() => new EtcdStore({ endpoints: [etcd!.endpoint], prefix, timeoutMs: 2_000 }));
    let succeeded = 0;
    let calls = 0;
    try {
      for (let round = 0; round < ROUNDS; round++) {
        const opts = (i: number) => ({
          store: hosts[i]!,
          pool: POOL,
          containers: PODS,
          attempts: 8,
          deadlineMs: 30_000,
          backoffMs: 150,
          what: `seed ${SEED} round ${round} host ${i}`,
          idPrefix: `r${round}h${i}-`,
        });
        const killAt = Math.floor(r() * 150);
        const downFor = 300 + Math.floor(r() * 700);
        const chaos = (async () => {
          await sleep(killAt);
          await etcd!.kill();
          await sleep(downFor);
          await etcd!.restart();
        })();
        const outs: BurstOutcome[] = await Promise.all([burst(opts(0)), burst(opts(1))]);
        await chaos;
        const all = new Map([...outs[0]!.ok, ...outs[1]!.ok]);
        for (const [i, out] of outs.entries()) {
          t.diagnostic(
            `round ${round} host ${i} (etcd killed at ${killAt} ms for ${downFor} ms): ${summary(out)}`,
          );
          await settle(opts(i), out, all);
          calls += out.calls;
        }
        succeeded += all.size;
      }
      assert.deepEqual(await hosts[0]!.list(), [], `seed ${SEED}: allocations left`);
    } finally {
      for (const h of hosts) await h.close();
    }
    t.diagnostic(
      `etcd faults: ${ROUNDS} SIGKILLs + restarts, ${calls} store calls, ${succeeded} allocations succeeded, 0 duplicates, 0 left`,
    );
  });
});
