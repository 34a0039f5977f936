// kube-controller-manager's garbage collector, for ownerReferences: when an owner is gone, its
// dependents are deleted (background propagation; a pod dependent is deleted gracefully like any
// pod) unless another owner of theirs still exists, in which case only the dangling reference is
// removed. An owner kept by the `orphan` finalizer has its references removed from its dependents,
// then the finalizer; one kept by `foregroundDeletion` has its dependents deleted and loses the
// finalizer once no dependent with blockOwnerDeletion remains. Owners are matched by UID, as the
// real one does: a new object under the old name owns nothing. Runs after the write that caused it,
// as a separate actor (its writes are ordinary store writes, with their own watch events).
import { FOREGROUND, ORPHAN } from './deletion.js';
import type { Registry, ResourceType } from './resources.js';
import type { Obj, Store, StoreEvent } from './store.js';

interface Ref {
  uid?: string;
  blockOwnerDeletion?: boolean;
}

interface Entry {
  resource: ResourceType;
  namespace: string | undefined;
  name: string;
}

const refsOf = (o: Obj) => (o.metadata?.ownerReferences ?? []) as Ref[];

export class GarbageCollector {
  /** uid → where the object lives, for every stored object. */
  private readonly byUid = new Map<string, Entry>();
  /** owner uid → uids of objects naming it, and the reverse. */
  private readonly dependents = new Map<string, Set<string>>();
  private readonly ownersOf = new Map<string, string[]>();
  private readonly queue = new Set<string>();
  private scheduled = false;
  private unsubscribe: (() => void) | undefined;

  constructor(
    private readonly store: Store,
    private readonly reg: Registry,
  ) {}

  start(): void {
    for (const t of this.reg.types) for (const o of this.store.list(t)) this.track(t, o);
    this.unsubscribe = this.store.subscribe((e) => this.onEvent(e));
  }

  stop(): void {
    this.unsubscribe?.();
  }

  private track(r: ResourceType, o: Obj): void {
    const uid = o.metadata?.uid;
    if (!uid) return;
    this.untrack(uid);
    this.byUid.set(uid, { resource: r, namespace: o.metadata?.namespace, name: o.metadata?.name ?? '' });
    const owners = refsOf(o).flatMap((ref) => (ref.uid ? [ref.uid] : []));
    this.ownersOf.set(uid, owners);
    for (const owner of owners) {
      const set = this.dependents.get(owner) ?? new Set<string>();
      set.add(uid);
      this.dependents.set(owner, set);
    }
  }

  private untrack(uid: string): void {
    this.byUid.delete(uid);
    for (const owner of this.ownersOf.get(uid) ?? []) this.dependents.get(owner)?.delete(uid);
    this.ownersOf.delete(uid);
  }

  private onEvent(e: StoreEvent): void {
    const uid = e.object.metadata?.uid;
    if (!uid) return;
    if (e.type === 'DELETED') {
      this.untrack(uid);
      this.enqueue(uid);
      // A foreground owner waits for this dependent.
      for (const ref of refsOf(e.object)) if (ref.uid) this.enqueue(ref.uid);
      return;
    }
    this.track(e.resource, e.object);
    if (e.object.metadata?.deletionTimestamp !== undefined) this.enqueue(uid);
  }

  private enqueue(uid: string): void {
    this.queue.add(uid);
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      const uids = [...this.queue];
      this.queue.clear();
      for (const u of uids) this.process(u);
    });
  }

  private current(uid: string): Obj | undefined {
    const e = this.byUid.get(uid);
    return e ? this.store.get(e.resource, e.namespace, e.name) : undefined;
  }

  private process(ownerUid: string): void {
    const owner = this.current(ownerUid);
    const finalizers = owner?.metadata?.finalizers ?? [];
    if (owner === undefined) {
      for (const d of [...(this.dependents.get(ownerUid) ?? [])]) this.collect(d);
      this.dependents.delete(ownerUid);
    } else if (owner.metadata?.deletionTimestamp !== undefined && finalizers.includes(ORPHAN)) {
      for (const d of [...(this.dependents.get(ownerUid) ?? [])]) this.dropRefs(d, new Set([ownerUid]));
      this.removeFinalizer(ownerUid, ORPHAN);
    } else if (owner.metadata?.deletionTimestamp !== undefined && finalizers.includes(FOREGROUND)) {
      const deps = [...(this.dependents.get(ownerUid) ?? [])];
      let blocking = 0;
      for (const d of deps) {
        const dep = this.current(d);
        if (!dep) continue;
        if (refsOf(dep).some((r) => r.uid === ownerUid && r.blockOwnerDeletion === true)) blocking++;
        if (dep.metadata?.deletionTimestamp === undefined) this.remove(d, 'Foreground');
      }
      if (blocking === 0) this.removeFinalizer(ownerUid, FOREGROUND);
    }
  }

  /** A dependent whose owner is gone: deleted when no other owner exists, else the dangling refs go. */
  private collect(uid: string): void {
    const dep = this.current(uid);
    if (!dep) return;
    const owners = refsOf(dep).map((r) => r.uid ?? '');
    const dangling = new Set(owners.filter((o) => !this.byUid.has(o)));
    if (dangling.size === owners.length) this.remove(uid, 'Background');
    else this.dropRefs(uid, dangling);
  }

  private remove(uid: string, propagationPolicy: 'Background' | 'Foreground'): void {
    const e = this.byUid.get(uid);
    if (!e) return;
    try {
      this.store.delete(e.resource, e.namespace, e.name, { uid }, { propagationPolicy });
    } catch {
      // Gone or replaced meanwhile: nothing of ours to delete.
    }
  }

  private write(uid: string, change: (o: Obj) => void): void {
    const e = this.byUid.get(uid);
    const o = this.current(uid);
    if (!e || !o) return;
    change(o);
    try {
      this.store.update(e.resource, e.namespace, e.name, o);
    } catch {
      // A concurrent writer won; its event brings the object back here if still relevant.
    }
  }

  private dropRefs(uid: string, owners: Set<string>): void {
    this.write(uid, (o) => {
      o.metadata = { ...o.metadata, ownerReferences: refsOf(o).filter((r) => !owners.has(r.uid ?? '')) };
    });
  }

  private removeFinalizer(uid: string, f: string): void {
    this.write(uid, (o) => {
      o.metadata = { ...o.metadata, finalizers: (o.metadata?.finalizers ?? []).filter((x) => x !== f) };
    });
  }
}
