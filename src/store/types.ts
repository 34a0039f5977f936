// The allocation-store seam. Every backend (embedded SQLite now; etcd and Kubernetes later) passes the
// same contract suite (test/store/contract.ts). Addresses are handed to the store as the pool's
// effective free-able intervals, so the store never needs to understand pool manifests.
import type { Family, Interval } from './ip.js';

export type { Family, Interval } from './ip.js';

/** Who holds an address: one CNI attachment. (containerId, ifname, family) is the idempotency key. */
export interface HolderKey {
  containerId: string;
  ifname: string;
}

export interface Holder extends HolderKey {
  /** The CNI network (config `name`) the attachment belongs to; scopes GC. */
  network?: string;
  podNamespace?: string;
  podName?: string;
  podUid?: string;
}

export interface Allocation extends Holder {
  ip: string; // canonical text, no prefix
  family: Family;
  pool: string;
  createdAt: string; // ISO 8601
}

export interface PoolCandidate {
  pool: string;
  family: Family;
  /** Sorted, disjoint, inclusive: the pool's addresses minus excludes, reserved, gateway. */
  intervals: readonly Interval[];
}

/**
 * One address of one family. Candidates are tried in order; the first with a free address wins.
 * With requestedIp, exactly that address is taken from the candidate that contains it.
 */
export interface FamilyRequest {
  family: Family;
  candidates: readonly PoolCandidate[];
  requestedIp?: string;
  /**
   * With requestedIp: the address may be taken over from a holder this accepts (the same pod's
   * previous sandbox, a StatefulSet/VM pod's predecessor). Stores that can rewrite the holder in the
   * same write do; others answer 'taken' and the caller moves it (release, then take).
   */
  adopt?: (held: Allocation) => boolean;
}

export type AllocateResult =
  | { ok: true; allocations: Allocation[]; existing: boolean }
  | { ok: false; reason: 'exhausted'; family: Family; pools: string[] }
  | { ok: false; reason: 'taken'; family: Family; ip: string; pool: string; holder: Allocation }
  | { ok: false; reason: 'outside'; family: Family; ip: string; pools: string[] };

export interface AllocationStore {
  /** Backend name for messages, e.g. "sqlite:/var/lib/trunkline/ipam.db". */
  readonly description: string;
  open(): Promise<void>;
  close(): Promise<void>;
  /**
   * All requested families in one atomic step: either every family gets an address or nothing
   * changes. A family the holder already holds returns the held address (idempotent ADD).
   * Fresh pools hand out addresses in ascending order; a released address is not reused before the
   * pool's other free addresses (next-fit), so a just-freed IP is not immediately given to a new pod.
   */
  allocate(holder: Holder, requests: readonly FamilyRequest[]): Promise<AllocateResult>;
  /** The holder's current allocations (any family), for CHECK and idempotent ADD. */
  get(key: HolderKey): Promise<Allocation[]>;
  /** Releases exactly this holder's allocations; returns what was released (empty when none). */
  release(key: HolderKey): Promise<Allocation[]>;
  /** All allocations, or only one pool's, ordered by pool then address. */
  list(pool?: string): Promise<Allocation[]>;
  /**
   * GC: releases every allocation whose (containerId, ifname) is not listed; returns those released.
   * With scope.network only that network's allocations are considered (CNI GC is per network, while
   * one store serves every network so that addresses stay unique across them).
   */
  releaseAllExcept(valid: readonly HolderKey[], scope?: { network?: string }): Promise<Allocation[]>;
  /** Throws StoreUnavailableError when the store cannot be opened or written. */
  check(): Promise<void>;
  /**
   * Optional, for IP GC: releases exactly these allocations (same address, holder and createdAt)
   * where they still are, touching only their pools. Stores without it are collected by release().
   */
  releaseExact?(allocations: readonly Allocation[]): Promise<Allocation[]>;
}
