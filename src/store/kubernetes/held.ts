// What every allocation of a round looks up in its pool's entries: the addresses held per family, the
// entry a holder already has, and the newest allocation (where next-fit starts, cursor.ts). Built once
// per entries array and extended as changes append to it, so a round of N allocations reads the map
// once, not N times. With IPs = pods the map holds every pod: scanning it per change made a round of
// 64 allocations on a 900-entry map cost ~8 ms of CPU (256: ~30 ms) against ~2 ms for one, and that
// is the read-to-write window in which any other node's write makes this one lose (409) — the node
// with the most pods queued lost every time, and the more it lost the more joined its round.
// Sound because changes only append to an entries array or replace it (batch.ts): a replaced array
// gets its own index, and one truncated by a rolled-back change (then appended to again) no longer
// ends its indexed part with the entry indexed last, so it is indexed afresh.
import type { Family } from '../ip.js';
import type { Entry } from './records.js';

export interface Mark {
  value: bigint;
  at: string;
}

interface Held {
  /** How many entries of the array are indexed (the rest were appended since). */
  seen: number;
  last: Entry | undefined;
  values: Map<Family, Set<bigint>>;
  /** By holderKey(); the first entry of a holder, as a scan in map order finds it. */
  holders: Map<string, Entry>;
  newest: Map<Family, Mark>;
}

export const holderKey = (family: Family, containerId: string, ifname: string) =>
  `${family}\u0000${containerId}\u0000${ifname}`;

const index = new WeakMap<Entry[], Held>();

/** The index of `entries`, caught up with what was appended to it since it was last asked for. */
export function heldIn(entries: Entry[]): Readonly<Held> {
  let h = index.get(entries);
  if (h === undefined || h.seen > entries.length || (h.seen > 0 && entries[h.seen - 1] !== h.last)) {
    h = { seen: 0, last: undefined, values: new Map(), holders: new Map(), newest: new Map() };
    index.set(entries, h);
  }
  for (; h.seen < entries.length; h.seen++) {
    const e = entries[h.seen]!;
    const set = h.values.get(e.family) ?? new Set<bigint>();
    h.values.set(e.family, set);
    set.add(e.value);
    const k = holderKey(e.family, e.record.containerID ?? '', e.record.interface ?? '');
    if (e.record.containerID !== undefined && e.record.interface !== undefined && !h.holders.has(k))
      h.holders.set(k, e);
    const at = e.record.createdAt ?? '';
    const n = h.newest.get(e.family);
    if (n === undefined || at > n.at || (at === n.at && e.value > n.value))
      h.newest.set(e.family, { value: e.value, at });
    h.last = e;
  }
  return h;
}
