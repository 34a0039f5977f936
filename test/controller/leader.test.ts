// Two controller replicas with their own identities (bearer token and Lease holderIdentity) against
// the test API server. The leader repairs a pool status the test keeps corrupting; after SIGKILL of
// the leader the other takes over no earlier than leaseDuration after the last renewal (from the
// Lease's own timestamps) and no later than its first retry once the lease it observed expired
// (from the request log), and the request log shows every write made by the holder of the latest
// lease write before it: never two writers at once. SIGTERM releases the lease.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { startKubeApiServer } from '../kube-apiserver/server.js';
import { type ControllerProcess, spawnController } from './process.js';
import { type Logged, startRecorder } from './recorder.js';

const POOL_API = 'spiderpool.spidernet.io/v2beta1';
const LEASE = '/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/trunkline-controller';
const TIMINGS = [
  '--lease-duration',
  '3',
  '--renew-deadline',
  '2',
  '--retry-period',
  '0.5',
  '--resync',
  '0.2',
];

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const isWrite = (l: Logged) => l.method !== 'GET';
const isLeaseWrite = (l: Logged) =>
  isWrite(l) && l.path.startsWith(LEASE.replace(/\/trunkline-controller$/, ''));

async function until<T>(what: string, fn: () => T | undefined, limitMs = 60_000): Promise<T> {
  for (const end = Date.now() + limitMs; Date.now() < end; await sleep(50)) {
    const v = fn();
    if (v !== undefined) return v;
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe('controller leader election', () => {
  it('only the lease holder writes; SIGKILL hands over after expiry; SIGTERM releases', {
    timeout: 180_000,
  }, async () => {
    const api = await startKubeApiServer();
    const rec = startRecorder(api);
    const procs: ControllerProcess[] = [];
    let corrupting = true;
    try {
      api.seed([
        {
          apiVersion: POOL_API,
          kind: 'SpiderIPPool',
          metadata: { name: 'p' },
          spec: { ipVersion: 4, subnet: '10.9.0.0/24', ips: ['10.9.0.10-10.9.0.19'] },
          status: {
            // Spiderpool's own entry (no containerID: GC leaves it) and a leak of a pod that is gone.
            allocatedIPs: JSON.stringify({
              '10.9.0.10': { pod: 'a/b', podUid: 'u' },
              '10.9.0.11': {
                pod: 'a/gone',
                podUid: 'u2',
                containerID: 'c1',
                interface: 'eth0',
                family: 4,
                createdAt: '2026-01-01T00:00:00.000Z',
              },
            }),
            allocatedIPCount: 7,
          },
        },
      ]);
      const status = () =>
        api.get(POOL_API, 'SpiderIPPool', undefined, 'p')?.status as
          | { allocatedIPCount?: number; totalIPCount?: number }
          | undefined;
      for (const who of ['ctl-a', 'ctl-b'])
        procs.push(await spawnController(rec.kubeconfig(who), who, TIMINGS));
      const lease = () => api.get('coordination.k8s.io/v1', 'Lease', 'kube-system', 'trunkline-controller');
      const spec = (l = lease()) => (l?.spec ?? {}) as Record<string, string | number>;
      const first = await until('a leader', () =>
        spec().holderIdentity ? String(spec().holderIdentity) : undefined,
      );
      await until('the first repair', () => (status()?.allocatedIPCount === 1 ? true : undefined));
      assert.equal(status()?.totalIPCount, 10);
      assert.deepEqual(
        Object.keys(JSON.parse(String((status() as { allocatedIPs?: string }).allocatedIPs))),
        ['10.9.0.10'],
      );
      const corrupt = (async () => {
        while (corrupting) {
          const p = api.get(POOL_API, 'SpiderIPPool', undefined, 'p')!;
          api.update({ ...p, status: { ...(p.status as object), allocatedIPCount: 99 } });
          await sleep(150);
        }
      })();
      await sleep(1500);
      const leader = procs.find((p) => p.identity === first)!;
      const other = procs.find((p) => p.identity !== first)!;
      assert.equal((await leader.get('/readyz')).status, 200);
      assert.equal((await other.get('/readyz')).status, 200);
      assert.match((await leader.get('/metrics')).body, /^trunkline_controller_is_leader 1$/m);
      assert.match((await other.get('/metrics')).body, /^trunkline_controller_is_leader 0$/m);
      assert.match(
        (await leader.get('/metrics')).body,
        /^trunkline_controller_gc_released_total\{reason="pod-gone"\} 1$/m,
      );
      leader.child.kill('SIGKILL');
      await leader.exited;
      const before = spec();
      const after = spec(
        await until('the other replica to take the lease', () => {
          const l = lease();
          return (l?.spec as Record<string, unknown> | undefined)?.holderIdentity === other.identity
            ? l
            : undefined;
        }),
      );
      const lastRenew = Date.parse(String(before.renewTime));
      assert.ok(
        Date.parse(String(after.acquireTime)) - lastRenew >= 3000,
        `takeover at ${after.acquireTime} must be >= leaseDuration after the last renewal ${before.renewTime}`,
      );
      assert.equal(after.leaseTransitions, Number(before.leaseTransitions) + 1);
      // From the request log: the dead leader's last successful renewal; the survivor's first lease
      // read after it (it observes the renewal then); its acquiring write. Between expiry (that
      // observation + leaseDuration) and the acquisition the survivor read the lease at most twice:
      // the read that found it expired, and one at the boundary, where its own clock still says valid.
      const ok = (l: Logged) => l.phase === 'response' && l.status !== undefined && l.status < 300;
      const lastRenewal = rec.log.filter((l) => l.who === first && isLeaseWrite(l) && ok(l)).at(-1)!;
      const reads = rec.log.filter(
        (l) => l.who === other.identity && l.method === 'GET' && l.path === LEASE && l.phase === 'response',
      );
      const observed = reads.find((l) => l.seq > lastRenewal.seq)!;
      const acquired = rec.log.find(
        (l) => l.who === other.identity && isLeaseWrite(l) && ok(l) && l.seq > lastRenewal.seq,
      )!;
      const expiry = observed.at + 3000;
      const late = reads.filter((l) => l.at >= expiry && l.seq < acquired.seq);
      assert.ok(acquired.at >= expiry, 'no takeover before the observed lease expired');
      assert.ok(
        late.length <= 2,
        `took over at its first retry after expiry, not after ${late.length} reads`,
      );
      const takeover = rec.log.length;
      await until('a repair by the new leader', () =>
        rec.log
          .slice(takeover)
          .some((l) => l.who === other.identity && isWrite(l) && !isLeaseWrite(l) && l.phase === 'response')
          ? true
          : undefined,
      );
      corrupting = false;
      await corrupt;

      // Every non-lease write was made by whoever made the latest successful lease write before it.
      let holder = '';
      const writers = new Set<string>();
      for (const l of rec.log) {
        if (isLeaseWrite(l) && l.phase === 'response' && l.status !== undefined && l.status < 300)
          holder = l.who;
        else if (isWrite(l) && !isLeaseWrite(l) && l.phase === 'request') {
          assert.equal(
            l.who,
            holder,
            `write ${l.method} ${l.path} #${l.seq} by ${l.who} while ${holder} held the lease`,
          );
          writers.add(l.who);
        }
      }
      assert.deepEqual([...writers].sort(), ['ctl-a', 'ctl-b']);

      other.child.kill('SIGTERM');
      assert.equal(await other.exited, 0);
      assert.equal(spec().holderIdentity, '', 'a graceful shutdown releases the lease');
    } catch (err) {
      throw new Error(
        `${(err as Error).message}\n${procs.map((p) => `--- ${p.identity}\n${p.logs()}`).join('\n')}`,
        { cause: err },
      );
    } finally {
      corrupting = false;
      for (const p of procs)
        if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
      await Promise.all(procs.map((p) => p.exited));
      rec.stop();
      await api.stop();
    }
  });
});
