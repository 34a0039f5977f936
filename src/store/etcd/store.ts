// Allocation store in etcd, shared by every host of a cluster. Each allocation is one etcd
// transaction that claims the address key and the holder key only if both are still absent
// (version == 0), so two hosts can never hand out one address, and dual stack is all-or-nothing.
// A lost race is retried with a fresh read and a jittered start point (so a crowd of losers spreads
// out instead of colliding again on the next address), with a capped backoff, for a bounded time.
import { setTimeout as sleep } from 'node:timers/promises';
import { CniError, Code, errorText, tryAgainLater } from '../../cni/errors.js';
import { StoreUnavailableError } from '../errors.js';
import { addrKey, type Family, formatIp, parseIp } from '../ip.js';
import type {
  AllocateResult,
  Allocation,
  AllocationStore,
  FamilyRequest,
  Holder,
  HolderKey,
} from '../types.js';
import { claimNext, claimRequested } from './claim.js';
import { EtcdClient, EtcdRequestError, EtcdUnreachable, type KeyValue, prefixEnd } from './client.js';
import type { EtcdStoreConf } from './conf.js';
import { DEFAULT_PREFIX, decodeAllocation, Keys, publicAllocation } from './keys.js';
import { type Claim, claimOps, deleteOps } from './ops.js';

/** How long allocate/release keep retrying lost races before answering "try again later". */
const RETRY_BUDGET_MS = 30_000;
const GC_BATCH = 32; // 3 deletes each: below etcd's default --max-txn-ops of 128

type Sortable = Allocation & { key: string };
const byPoolThenAddress = (a: Sortable, b: Sortable) =>
  a.pool < b.pool ? -1 : a.pool > b.pool ? 1 : a.key < b.key ? -1 : a.key > b.key ? 1 : 0;

export class EtcdStore implements AllocationStore {
  readonly keys: Keys;
  private readonly endpoints: string[];
  private readonly timeoutMs: number;
  private client: EtcdClient | undefined;
  /** Addresses concurrent allocate() calls of this instance are claiming: they never race each other. */
  private readonly claiming: Record<Family, Set<bigint>> = { 4: new Set(), 6: new Set() };
  /** Cumulative counters: attempts lost to a concurrent writer, gap-finder round trips. */
  readonly stats = { conflicts: 0, searches: 0 };

  constructor(conf: Omit<EtcdStoreConf, 'type'> & { type?: 'etcd' }) {
    this.endpoints = [...conf.endpoints];
    this.keys = new Keys(conf.prefix ?? DEFAULT_PREFIX);
    this.timeoutMs = conf.timeoutMs ?? 5000;
  }

  get description(): string {
    return `etcd:${this.endpoints.join(',')}${this.keys.prefix}`;
  }

  /** Creates the client only: connections are made by the first request. */
  async open(): Promise<void> {
    this.client ??= new EtcdClient(this.endpoints, this.timeoutMs);
  }

  async close(): Promise<void> {
    this.client?.close();
    this.client = undefined;
  }

  async allocate(holder: Holder, requests: readonly FamilyRequest[]): Promise<AllocateResult> {
    return this.guard('allocate', async (c) => {
      const lost = new Map<string, bigint>(); // pool → address lost in the previous attempt
      const deadline = Date.now() + RETRY_BUDGET_MS;
      let attempt = 0;
      for (; attempt === 0 || Date.now() < deadline; attempt++) {
        const auto = [...new Set(requests.filter((r) => r.requestedIp === undefined).flatMap(poolsOf))];
        const read = await c.txn(
          [],
          [
            { range: this.holderRange(holder) },
            ...auto.map((p) => ({ range: { key: this.keys.cursor(p) } })),
          ],
        );
        const held = new Map<Family, Allocation>();
        for (const kv of read.ranges[0]?.kvs ?? []) {
          const a = decodeAllocation(kv.value);
          held.set(a.family, publicAllocation(a));
        }
        const cursors = new Map<string, KeyValue | undefined>(
          auto.map((p, i) => [p, read.ranges[i + 1]?.kvs[0]]),
        );
        const out: Allocation[] = [];
        const claims: Claim[] = [];
        const now = new Date().toISOString();
        try {
          for (const req of requests) {
            const h = held.get(req.family);
            if (h !== undefined) {
              out.push(h);
              continue;
            }
            const ctx = { client: c, keys: this.keys, claiming: this.claiming, stats: this.stats };
            const claim =
              req.requestedIp !== undefined
                ? await claimRequested(ctx, req, req.requestedIp)
                : await claimNext(ctx, req, cursors, lost, attempt);
            if ('ok' in claim) return claim;
            claims.push(claim);
            out.push(this.allocation(holder, claim, now));
          }
          if (claims.length === 0) return { ok: true, allocations: out, existing: true };
          const res = await c.txn(...claimOps(this.keys, holder, claims, out));
          if (res.succeeded) return { ok: true, allocations: out, existing: false };
        } finally {
          for (const cl of claims) if (!cl.requested) this.claiming[cl.family].delete(cl.value);
        }
        this.stats.conflicts++;
        for (const cl of claims) if (!cl.requested) lost.set(cl.pool, cl.value);
        await sleep(backoff(attempt));
      }
      throw tryAgainLater(
        `IPAM store ${this.description}: allocation for ${holder.containerId}/${holder.ifname} lost to concurrent writers ${attempt} times in ${RETRY_BUDGET_MS} ms`,
        'retry the ADD',
      );
    });
  }

  async get(key: HolderKey): Promise<Allocation[]> {
    return this.guard('read', async (c) => {
      const r = await c.range(this.holderRange(key).key, { end: this.holderRange(key).end });
      return r.kvs
        .map((kv) => publicAllocation(decodeAllocation(kv.value)))
        .sort((a, b) => a.family - b.family);
    });
  }

  async release(key: HolderKey): Promise<Allocation[]> {
    return this.guard('release', async (c) => {
      const deadline = Date.now() + RETRY_BUDGET_MS;
      for (let attempt = 0; attempt === 0 || Date.now() < deadline; attempt++) {
        const { key: k, end } = this.holderRange(key);
        const kvs = (await c.range(k, { end })).kvs;
        if (kvs.length === 0) return [];
        if ((await c.txn(...deleteOps(this.keys, kvs))).succeeded) {
          return kvs
            .map((kv) => publicAllocation(decodeAllocation(kv.value)))
            .sort((a, b) => a.family - b.family);
        }
        this.stats.conflicts++;
        await sleep(backoff(attempt));
      }
      throw tryAgainLater(
        `IPAM store ${this.description}: release of ${key.containerId}/${key.ifname} kept conflicting`,
      );
    });
  }

  async list(pool?: string): Promise<Allocation[]> {
    return this.guard('read', async (c) => {
      const prefix = this.keys.allocPrefix(pool);
      const all = (await c.scan(prefix)).map((kv) => decodeAllocation(kv.value));
      return all.sort(byPoolThenAddress).map(publicAllocation);
    });
  }

  async releaseAllExcept(
    valid: readonly HolderKey[],
    scope: { network?: string } = {},
  ): Promise<Allocation[]> {
    return this.guard('gc', async (c) => {
      const keep = new Set(valid.map(holderId));
      const victims = (await c.scan(this.keys.holderPrefix())).filter((kv) => {
        const a = decodeAllocation(kv.value);
        const inScope = scope.network === undefined || a.network === scope.network;
        return inScope && !keep.has(holderId(a));
      });
      const released: Sortable[] = [];
      for (let i = 0; i < victims.length; i += GC_BATCH) {
        const batch = victims.slice(i, i + GC_BATCH);
        if ((await c.txn(...deleteOps(this.keys, batch))).succeeded) {
          released.push(...batch.map((kv) => decodeAllocation(kv.value)));
          continue;
        }
        // Something in the batch changed under us: settle each holder on its own.
        const holders = new Map(batch.map((kv) => decodeAllocation(kv.value)).map((a) => [holderId(a), a]));
        for (const a of holders.values()) {
          for (const r of await this.release(a))
            released.push({ ...r, key: addrKey(r.family, parseIp(r.ip)!.value) });
        }
      }
      return released.sort(byPoolThenAddress).map(publicAllocation);
    });
  }

  async check(): Promise<void> {
    await this.guard('check', (c) => c.put(this.keys.check(), new Date().toISOString()));
  }

  private holderRange(k: HolderKey): { key: string; end: string } {
    const p = this.keys.holderPrefix(k.containerId, k.ifname);
    return { key: p, end: prefixEnd(p) };
  }

  private allocation(h: Holder, cl: Claim, now: string): Allocation {
    return publicAllocation({
      ...h,
      ip: formatIp(cl.family, cl.value),
      family: cl.family,
      pool: cl.pool,
      createdAt: now,
    });
  }

  private async guard<T>(op: string, fn: (c: EtcdClient) => Promise<T>): Promise<T> {
    await this.open();
    try {
      return await fn(this.client!);
    } catch (err) {
      if (err instanceof CniError) throw err;
      const msg = errorText(err);
      if (err instanceof EtcdUnreachable) {
        throw new StoreUnavailableError(this.description, `${op} failed: ${msg}`, { cause: err });
      }
      const detail = err instanceof EtcdRequestError ? `gRPC code ${err.grpcCode}` : undefined;
      throw new CniError(Code.Internal, `IPAM store ${this.description}: ${op} failed: ${msg}`, detail, {
        cause: err,
      });
    }
  }
}

function poolsOf(r: FamilyRequest): string[] {
  return r.candidates.map((c) => c.pool);
}

/** Jittered, growing, capped at 100 ms: losers retry soon but not in lockstep. */
function backoff(attempt: number): number {
  return Math.min(100, 2 * 1.5 ** attempt) * Math.random();
}

function holderId(k: HolderKey): string {
  return `${k.containerId}\u0000${k.ifname}`;
}
