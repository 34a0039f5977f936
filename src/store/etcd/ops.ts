// The etcd transactions that change allocations. Every address, holder and per-pool record of one
// allocation is written or deleted together, guarded by compares on what was read.
import { addrKey, type Family, MAX } from '../ip.js';
import type { Allocation, Holder } from '../types.js';
import type { Compare, KeyValue, Op } from './client.js';
import { decodeAllocation, encodeAllocation, type Keys } from './keys.js';

export interface Claim {
  pool: string;
  family: Family;
  value: bigint;
  requested: boolean;
  /** The pool cursor's mod revision when read ('0' = absent); moved only for automatic claims. */
  cursor?: { mod: string };
}

/** Claims every address and holder key only if all are still absent; moves each pool's cursor. */
export function claimOps(keys: Keys, h: Holder, claims: Claim[], out: Allocation[]): [Compare[], Op[]] {
  const compare: Compare[] = [];
  const ops: Op[] = [];
  for (const cl of claims) {
    const key = addrKey(cl.family, cl.value);
    const a = out.find((x) => x.family === cl.family)!;
    const value = encodeAllocation(a, key);
    const ipKey = keys.ipOfKey(key);
    const holderKey = keys.holder(h.containerId, h.ifname, cl.family);
    compare.push(
      { key: ipKey, target: 'VERSION', equals: '0' },
      { key: holderKey, target: 'VERSION', equals: '0' },
    );
    ops.push(
      { put: { key: ipKey, value } },
      { put: { key: keys.alloc(cl.pool, key), value } },
      { put: { key: holderKey, value } },
    );
    if (cl.cursor !== undefined) {
      // Nested: the cursor moves only if no one else moved it since we read it; a stale cursor is
      // harmless (gap finding skips claimed addresses) and must not fail the claim itself.
      const cursorKey = keys.cursor(cl.pool);
      const next = addrKey(cl.family, cl.value === MAX[cl.family] ? 0n : cl.value + 1n);
      ops.push({
        txn: {
          compare: [{ key: cursorKey, target: 'MOD', equals: cl.cursor.mod }],
          success: [{ put: { key: cursorKey, value: next } }],
        },
      });
    }
  }
  return [compare, ops];
}

/** Deletes holder records (and their address and pool records) only if none changed since read. */
export function deleteOps(keys: Keys, holders: KeyValue[]): [Compare[], Op[]] {
  const compare: Compare[] = holders.map((kv) => ({ key: kv.key, target: 'MOD', equals: kv.modRevision }));
  const ops: Op[] = holders.flatMap((kv) => {
    const a = decodeAllocation(kv.value);
    return [
      { del: { key: kv.key } },
      { del: { key: keys.ipOfKey(a.key) } },
      { del: { key: keys.alloc(a.pool, a.key) } },
    ];
  });
  return [compare, ops];
}
