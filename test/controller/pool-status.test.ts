// Pool status is always true: random interleavings of allocate (single and dual stack), release, GC,
// a crash between the two writes of a dual-stack allocation, and foreign writers that leave wrong
// counts or non-address keys. After every step of ours each pool's allocatedIPCount equals its map
// and every key is an address (Spiderpool's format); after a foreign write one reconcile pass
// restores that and counts the repair. The map always equals the model of who holds what.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { KubernetesSource } from '../../src/cluster/kubernetes/source.js';
import type { SpiderIPPool } from '../../src/cluster/types.js';
import { Metrics } from '../../src/controller/metrics.js';
import { DRIFT_METRIC, reconcilePoolStatus } from '../../src/controller/pool-status.js';
import { parseIp } from '../../src/store/ip.js';
import { KubernetesStore } from '../../src/store/kubernetes/index.js';
import { startKubeApiServer } from '../kube-apiserver/server.js';
import { holder, pool, range } from '../store/contract.js';
import { asController } from './identity.js';

const API = 'spiderpool.spidernet.io/v2beta1';
const HOLDERS = ['h0', 'h1', 'h2', 'h3', 'h4', 'h5'];

type Op =
  | { op: 'alloc'; h: number; dual: boolean }
  | { op: 'release'; h: number }
  | { op: 'gc'; keep: boolean[] }
  | { op: 'crash'; h: number }
  | { op: 'foreign'; what: 'count' | 'key' | 'total' };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ op: fc.constant('alloc' as const), h: fc.nat(HOLDERS.length - 1), dual: fc.boolean() }),
  fc.record({ op: fc.constant('release' as const), h: fc.nat(HOLDERS.length - 1) }),
  fc.record({ op: fc.constant('gc' as const), keep: fc.array(fc.boolean(), { minLength: 6, maxLength: 6 }) }),
  fc.record({ op: fc.constant('crash' as const), h: fc.nat(HOLDERS.length - 1) }),
  fc.record({
    op: fc.constant('foreign' as const),
    what: fc.constantFrom('count' as const, 'key' as const, 'total' as const),
  }),
);

/** A source whose process "dies" after `writesLeft` status writes: every later call fails. */
function crashing(src: KubernetesSource, writesLeft: number): KubernetesSource {
  let left = writesLeft;
  return new Proxy(src, {
    get(target, prop, recv) {
      const v = Reflect.get(target, prop, recv) as unknown;
      if (typeof v !== 'function') return v;
      return (...args: unknown[]) => {
        if (left < 0) return Promise.reject(new Error('process crashed'));
        if (prop === 'updateIPPoolStatus' && left-- === 0) {
          left = -1;
          return Promise.reject(new Error('process crashed'));
        }
        return (v as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
}

describe('pool status under random interleavings', () => {
  it('counts equal the map after every write; the map equals the model', async () => {
    const api = await startKubeApiServer();
    let run = 0;
    try {
      // The agent's and the controller's writes, as the controller (its RBAC covers pool status).
      const source = new KubernetesSource({ kubeconfig: asController(api) });
      await fc.assert(
        fc.asyncProperty(fc.array(opArb, { minLength: 1, maxLength: 25 }), async (ops) => {
          run++;
          const v4 = `r${run}-v4`;
          const v6 = `r${run}-v6`;
          api.seed([
            {
              apiVersion: API,
              kind: 'SpiderIPPool',
              metadata: { name: v4 },
              spec: { ipVersion: 4, subnet: '10.7.0.0/24', ips: ['10.7.0.1-10.7.0.8'] },
              status: { totalIPCount: 8 },
            },
            {
              apiVersion: API,
              kind: 'SpiderIPPool',
              metadata: { name: v6 },
              spec: { ipVersion: 6, subnet: 'fd07::/64', ips: ['fd07::1-fd07::8'] },
              status: { totalIPCount: 8 },
            },
          ]);
          // Holder IDs are per run too: the store looks for a holder's allocations in every pool.
          const id = (h: number) => `r${run}-${HOLDERS[h]}`;
          const c4 = pool(v4, 4, range('10.7.0.1', '10.7.0.8'));
          const c6 = pool(v6, 6, range('fd07::1', 'fd07::8'));
          const store = new KubernetesStore(source);
          const metrics = new Metrics();
          metrics.define(DRIFT_METRIC, 'counter', '');
          const model = new Map<string, Set<4 | 6>>();
          const raw = (name: string) =>
            api.get(API, 'SpiderIPPool', undefined, name) as unknown as SpiderIPPool;
          const check = (label: string) => {
            const seen = new Map<string, Set<4 | 6>>();
            for (const name of [v4, v6]) {
              const st = raw(name).status ?? {};
              const map = JSON.parse(st.allocatedIPs || '{}') as Record<
                string,
                { containerID?: string; family?: 4 | 6 }
              >;
              const keys = Object.keys(map);
              assert.equal(
                st.allocatedIPCount ?? 0,
                keys.length,
                `${label}: ${name} count vs map ${st.allocatedIPs}`,
              );
              for (const k of keys) {
                assert.ok(parseIp(k) !== undefined, `${label}: ${name} has a non-address key ${k}`);
                const who = map[k]!.containerID!;
                const fams = seen.get(who) ?? new Set();
                assert.ok(!fams.has(map[k]!.family!), `${label}: ${who} holds two IPv${map[k]!.family}`);
                seen.set(who, fams.add(map[k]!.family!));
              }
            }
            const norm = (m: Map<string, Set<4 | 6>>) =>
              [...m]
                .filter(([, f]) => f.size > 0)
                .map(([h, f]) => `${h}:${[...f].sort().join('+')}`)
                .sort();
            assert.deepEqual(norm(seen), norm(model), `${label}: allocations vs model`);
          };
          for (const [i, o] of ops.entries()) {
            const label = `step ${i} ${JSON.stringify(o)}`;
            if (o.op === 'alloc' || o.op === 'crash') {
              const h = id(o.h);
              const dual = o.op === 'crash' || o.dual;
              const reqs = dual
                ? [
                    { family: 4 as const, candidates: [c4] },
                    { family: 6 as const, candidates: [c6] },
                  ]
                : [{ family: 4 as const, candidates: [c4] }];
              const held = model.get(h) ?? new Set<4 | 6>();
              if (o.op === 'crash') {
                // Dies after its first write: a v4 only half allocation stays (when v4 was not held yet).
                const dying = new KubernetesStore(crashing(source, held.has(4) ? 0 : 1));
                await dying.allocate(holder(h), reqs).catch(() => undefined);
                if (!held.has(4)) held.add(4);
              } else {
                const r = await store.allocate(holder(h), reqs);
                if (r.ok) for (const a of r.allocations) held.add(a.family);
              }
              model.set(h, held);
            } else if (o.op === 'release') {
              await store.release({ containerId: id(o.h), ifname: 'eth0' });
              model.delete(id(o.h));
            } else if (o.op === 'gc') {
              const valid = HOLDERS.flatMap((_, j) =>
                o.keep[j] ? [{ containerId: id(j), ifname: 'eth0' }] : [],
              );
              await store.releaseAllExcept(valid);
              for (const j of HOLDERS.keys()) if (!o.keep[j]) model.delete(id(j));
            } else {
              const p = raw(v4);
              const st = { ...(p.status ?? {}) };
              if (o.what === 'count') st.allocatedIPCount = (st.allocatedIPCount ?? 0) + 3;
              if (o.what === 'total') st.totalIPCount = 1000;
              if (o.what === 'key')
                st.allocatedIPs = JSON.stringify({
                  ...JSON.parse(st.allocatedIPs || '{}'),
                  'trunkline.io/next-fit': { pod: '', podUid: '', next: '10.7.0.3' },
                });
              api.update({ ...(p as unknown as Record<string, unknown>), status: st });
              const before = metrics.get(DRIFT_METRIC, [
                'field',
                o.what === 'count' ? 'allocatedIPCount' : o.what === 'key' ? 'allocatedIPs' : 'totalIPCount',
              ]);
              assert.ok((await reconcilePoolStatus(source, () => true, metrics)) >= 1, `${label}: a repair`);
              const after = metrics.get(DRIFT_METRIC, [
                'field',
                o.what === 'count' ? 'allocatedIPCount' : o.what === 'key' ? 'allocatedIPs' : 'totalIPCount',
              ]);
              assert.equal(after, before + 1, `${label}: repair counted`);
              assert.equal(raw(v4).status?.totalIPCount, 8);
            }
            check(label);
          }
          // A reconcile on a true status writes nothing.
          await reconcilePoolStatus(source, () => true, metrics);
          assert.equal(await reconcilePoolStatus(source, () => true, metrics), 0);
          check('final');
          api.delete(API, 'SpiderIPPool', undefined, v4);
          api.delete(API, 'SpiderIPPool', undefined, v6);
        }),
        { numRuns: 30, includeErrorInReport: true },
      );
    } finally {
      await api.stop();
    }
  });
});
