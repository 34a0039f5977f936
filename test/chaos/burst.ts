// A burst of concurrent ADDs against one store while something goes wrong underneath (issue 16), with
// the runtime's reaction to a failed ADD (DEL, retried, then ADD again), and the invariants every
// fault test asserts: no address twice among successful ADDs, each successful ADD's address held by
// its container in the store, every failure a CNI error with an integer code, no call past the
// deadline, and after DEL of everything no allocation left. ADD is the IPAM domain operation the
// plugin runs; DEL is the store release the plugin runs.
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import type { SpiderIPPool } from '../../src/cluster/types.js';
import { CniError } from '../../src/cni/errors.js';
import { allocate } from '../../src/ipam/allocate.js';
import type { AllocationStore } from '../../src/store/types.js';

export interface BurstOptions {
  store: AllocationStore;
  pool: SpiderIPPool;
  containers: number;
  /** ADD attempts per container (each failed one followed by a DEL) before it counts as failed. */
  attempts: number;
  /** No single call may take longer. */
  deadlineMs: number;
  /** Pause before a retry, as a runtime backs off. */
  backoffMs: number;
  what: string;
  /** Container ids are PREFIX<n> (default "burst-"); several bursts on one pool use their own. */
  idPrefix?: string;
}

export interface BurstOutcome {
  calls: number;
  failures: Map<number, number>;
  ok: Map<string, string>;
}

async function timed<T>(what: string, deadlineMs: number, p: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const hung = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: hung past ${deadlineMs} ms`)), deadlineMs);
  });
  try {
    return await Promise.race([p, hung]);
  } finally {
    clearTimeout(timer);
  }
}

/** The call's failure, which must be a CNI error with an integer code; undefined on success. */
async function attempt<T>(o: BurstOptions, out: BurstOutcome, what: string, fn: () => Promise<T>) {
  out.calls++;
  try {
    return { value: await timed(what, o.deadlineMs, fn()) };
  } catch (e) {
    assert.ok(e instanceof CniError && Number.isInteger(e.code), `${o.what}: ${what}: ${String(e)}`);
    out.failures.set(e.code, (out.failures.get(e.code) ?? 0) + 1);
    return { error: e };
  }
}

export async function burst(o: BurstOptions): Promise<BurstOutcome> {
  const out: BurstOutcome = { calls: 0, failures: new Map(), ok: new Map() };
  const del = async (id: string) => {
    for (let i = 0; ; i++) {
      const r = await attempt(o, out, `DEL ${id}`, () =>
        o.store.release({ containerId: id, ifname: 'eth0' }),
      );
      if (!('error' in r)) return;
      assert.ok(i < 200, `${o.what}: DEL ${id} never succeeded: ${r.error?.message}`);
      await sleep(o.backoffMs);
    }
  };
  await Promise.all(
    Array.from({ length: o.containers }, async (_, i) => {
      const id = `${o.idPrefix ?? 'burst-'}${i}`;
      for (let a = 0; a < o.attempts; a++) {
        const r = await attempt(o, out, `ADD ${id}`, () =>
          allocate({
            store: o.store,
            pools: [o.pool],
            reserved: [],
            podNamespace: 'chaos',
            podName: id,
            containerId: id,
            ifname: 'eth0',
            defaults: { ipv4: [o.pool.metadata.name] },
          }),
        );
        if (!('error' in r) && r.value !== undefined) {
          out.ok.set(id, r.value.allocations[0]!.ip);
          return;
        }
        await del(id);
        await sleep(o.backoffMs);
      }
    }),
  );
  return out;
}

/**
 * With the faults off: every success is held by its container and by nothing else of this burst, no
 * address twice (among `everyone`'s successes too, when bursts share the pool); then DEL of all of
 * this burst's containers leaves none of them holding.
 */
export async function settle(o: BurstOptions, out: BurstOutcome, everyone = out.ok): Promise<void> {
  const ips = [...everyone.values()];
  assert.equal(new Set(ips).size, ips.length, `${o.what}: an address handed out twice: ${ips.join(' ')}`);
  const prefix = o.idPrefix ?? 'burst-';
  const mine = async () =>
    (await o.store.list(o.pool.metadata.name)).filter((a) => a.containerId.startsWith(prefix));
  const held = await mine();
  for (const [id, ip] of out.ok) {
    assert.deepEqual(
      held.filter((a) => a.containerId === id).map((a) => a.ip),
      [ip],
      `${o.what}: ${id} reported ${ip} but the store holds otherwise`,
    );
  }
  assert.deepEqual(
    [...new Set(held.map((a) => a.containerId))].sort(),
    [...out.ok.keys()].sort(),
    `${o.what}: holders other than the successful ADDs (a failed ADD left something its DEL missed)`,
  );
  for (let i = 0; i < o.containers; i++)
    await o.store.release({ containerId: `${prefix}${i}`, ifname: 'eth0' });
  assert.deepEqual(await mine(), [], `${o.what}: allocations left after DEL`);
}

export function summary(out: BurstOutcome): string {
  const codes = [...out.failures].map(([c, n]) => `${n}×${c}`).join(', ') || 'none';
  return `${out.calls} calls, ${out.ok.size} ADDs succeeded, failures (count×code) ${codes}`;
}
