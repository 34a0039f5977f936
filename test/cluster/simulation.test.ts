// A small run of the cluster simulation (bench/cluster.ts): 2 nodes, each a namespace with its own
// agent on the test API server (2 ms latency), 20 pods attached through the meta plugin → macvlan →
// trunkline-ipam → coordinator, then detached, once per allocation mechanism. Asserted: every pod
// attached, no address twice, no retry budget exhausted, the store's record exact after ADD and empty
// after DEL, and the agents' API requests per pod by verb (caches serve every read but the pool's
// write path and the pod's status write): no timing.
import assert from 'node:assert/strict';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { addNetns, delNetns } from '../../bench/cluster/netns.js';
import { type Mechanism, runScenario, type ScenarioResult } from '../../bench/cluster/scenario.js';
import { startWorld, type World } from '../../bench/cluster/world.js';
import { haveEtcd } from '../helpers/etcd.js';
import { requireTool } from '../helpers/tier.js';

const NODES = 2;
const PODS = 20;
const prefix = `clusterst${process.pid % 10000}`;
const podNetns = Array.from({ length: PODS }, (_, i) => `${prefix}p${i}`);
const pool = { label: 'exact 20', subnet: '172.20.0.0/16', ips: ['172.20.0.1-172.20.0.20'] };
let world: World | undefined;

before(async () => {
  addNetns(podNetns);
  world = await startWorld({ nodes: NODES, prefix, dir: join(tmpdir(), `${prefix}-dir`), etcd: haveEtcd });
  // Warm the agents as a running cluster has them: client loaded, caches synced.
  await runScenario(world, { mechanism: 'batched', pool, pods: NODES, latencyMs: 0, podNetns });
});
after(async () => {
  await world?.stop();
  delNetns(podNetns);
});

const run = (mechanism: Mechanism) =>
  runScenario(world!, { mechanism, pool, pods: PODS, latencyMs: 2, podNetns });

function assertCorrect(r: ScenarioResult): void {
  assert.equal(r.podsAttached, PODS, r.firstError);
  assert.equal(r.duplicates, 0);
  assert.equal(r.exhausted, 0);
  assert.ok(r.statusExactAfterAdd, 'the store records exactly the addresses handed out');
  assert.ok(r.statusEmptyAfterDel, 'nothing left allocated after every DEL');
}

/** Reads a warm agent never sends: lists, watches, NADs, namespaces, nodes, reserved IPs, pool lists. */
function assertCached(r: ScenarioResult): void {
  for (const key of [...Object.keys(r.add.perPod), ...Object.keys(r.del.perPod)])
    assert.match(key, /^(get|update) (pods|spiderippools)(\/status)?$|^create events$/, `uncached: ${key}`);
  // One pod status write (Multus's network-status) with its read, one AddedInterface Event.
  assert.ok((r.add.perPod['update pods/status'] ?? 0) <= 1.2, JSON.stringify(r.add.perPod));
  assert.ok((r.add.perPod['get pods'] ?? 0) <= 1.2, JSON.stringify(r.add.perPod));
  assert.equal(r.add.perPod['create events'], 1);
}

describe('cluster simulation, 2 nodes x 20 pods', () => {
  it("Spiderpool's mechanism: one status write per allocation, conflicts retried", async () => {
    const r = await run('per-allocation');
    assertCorrect(r);
    assertCached(r);
    const writes = (r.add.perPod['update spiderippools/status'] ?? 0) - r.add.poolConflicts / PODS;
    assert.ok(Math.abs(writes - 1) < 1e-9, `one successful write per pod: ${JSON.stringify(r.add)}`);
  });

  it('batched writes: fewer status writes than pods, same correctness', async () => {
    const r = await run('batched');
    assertCorrect(r);
    assertCached(r);
    const writes = (r.add.perPod['update spiderippools/status'] ?? 0) - r.add.poolConflicts / PODS;
    assert.ok(writes < 1, `fewer successful writes than pods: ${JSON.stringify(r.add)}`);
  });

  it('etcd store: no pool request at all', async (t) => {
    if (!haveEtcd) return requireTool('etcd', 'etcd (Debian etcd-server)', (why) => t.skip(why));
    const r = await run('etcd');
    assertCorrect(r);
    assertCached(r);
    assert.equal(r.add.perPod['get spiderippools'], undefined);
    assert.equal(r.add.perPod['update spiderippools/status'], undefined);
  });
});
