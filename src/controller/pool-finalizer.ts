// Pool deletion protection, as Spiderpool does it: every SpiderIPPool carries the finalizer
// "spiderpool.spidernet.io"; a pool being deleted keeps it while any address is still allocated
// (deleting it would let the addresses be handed out again by a re-created pool while pods use
// them), and loses it once the last allocation is released, which lets the deletion finish.
import { type Clients, httpStatus } from '../cluster/kubernetes/client.js';
import { IPPOOL } from '../cluster/kubernetes/source.js';
import type { SpiderIPPool } from '../cluster/types.js';
import { POOL_FINALIZER } from '../ipam/finalizer.js';
import { parseEntries } from '../store/kubernetes/records.js';
import { type Fence, guard } from './fence.js';

type RawPool = SpiderIPPool & {
  metadata: SpiderIPPool['metadata'] & { finalizers?: string[]; deletionTimestamp?: string };
};

function allocated(p: RawPool): number {
  try {
    return parseEntries(p).entries.length;
  } catch {
    return Number.POSITIVE_INFINITY; // unreadable map: assume it holds addresses
  }
}

/** One pass; returns the pools whose finalizer was added or removed. Conflicts wait for the next pass. */
export async function reconcileFinalizers(
  c: Clients,
  fence: Fence,
): Promise<{ added: string[]; removed: string[] }> {
  const list = (await c.custom.listClusterCustomObject({ ...IPPOOL })) as { items?: RawPool[] };
  const out = { added: [] as string[], removed: [] as string[] };
  for (const p of list.items ?? []) {
    const name = p.metadata.name;
    const fins = p.metadata.finalizers ?? [];
    const has = fins.includes(POOL_FINALIZER);
    let next: string[] | undefined;
    if (p.metadata.deletionTimestamp === undefined && !has) next = [...fins, POOL_FINALIZER];
    else if (p.metadata.deletionTimestamp !== undefined && has && allocated(p) === 0)
      next = fins.filter((f) => f !== POOL_FINALIZER);
    if (next === undefined) continue;
    guard(fence, `${has ? 'removing' : 'adding'} the finalizer of SpiderIPPool ${name}`);
    try {
      await c.custom.replaceClusterCustomObject({
        ...IPPOOL,
        name,
        body: { ...p, metadata: { ...p.metadata, finalizers: next } },
      });
      (has ? out.removed : out.added).push(name);
    } catch (err) {
      if (httpStatus(err) !== 409 && httpStatus(err) !== 404) throw err;
    }
  }
  return out;
}
