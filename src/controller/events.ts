// Event-driven GC: watch pods, nodes and pools and wake the leader's loop when something that can
// free an address happens (a pod deleted, terminating or completed; a node deleted or not Ready) or
// a pool is being deleted, so a leak is collected within seconds instead of at the next periodic scan. Watches resume from the last
// resourceVersion; after an error they list for a fresh one and ask for a full pass, which covers
// whatever happened in between.
import type { Clients } from '../cluster/kubernetes/client.js';
import { IPPOOL } from '../cluster/kubernetes/source.js';

type Watch = InstanceType<Clients['lib']['Watch']>;

type Kind = 'pod' | 'node' | 'pool';

const interesting = (kind: Kind, phase: string, o: Record<string, unknown>): boolean => {
  if (phase === 'DELETED') return kind !== 'pool';
  if (phase !== 'MODIFIED') return false;
  const meta = (o['metadata'] ?? {}) as { deletionTimestamp?: unknown };
  const status = (o['status'] ?? {}) as { phase?: string; conditions?: { type: string; status: string }[] };
  if (kind === 'pool') return meta.deletionTimestamp != null;
  if (kind === 'pod')
    return meta.deletionTimestamp != null || status.phase === 'Succeeded' || status.phase === 'Failed';
  return status.conditions?.some((c) => c.type === 'Ready' && c.status !== 'True') ?? false;
};

export class ClusterEvents {
  private stopped = false;
  private readonly aborts: AbortController[] = [];

  constructor(
    private readonly clients: Clients,
    private readonly onEvent: (what: string) => void,
  ) {}

  start(): void {
    const w = new this.clients.lib.Watch(this.clients.kc);
    for (const [kind, path] of [
      ['pod', '/api/v1/pods'],
      ['node', '/api/v1/nodes'],
      ['pool', '/apis/spiderpool.spidernet.io/v2beta1/spiderippools'],
    ] as const)
      void this.run(w, kind, path);
  }

  stop(): void {
    this.stopped = true;
    for (const a of this.aborts.splice(0)) a.abort();
  }

  /** The collection's resourceVersion now: a watch from it misses nothing that happens later. */
  private async listRv(kind: Kind): Promise<string | undefined> {
    const c = this.clients;
    const r =
      kind === 'pod'
        ? await c.core.listPodForAllNamespaces({ limit: 1 })
        : kind === 'node'
          ? await c.core.listNode({ limit: 1 })
          : ((await c.custom.listClusterCustomObject({ ...IPPOOL, limit: 1 })) as {
              metadata?: { resourceVersion?: string };
            });
    return r.metadata?.resourceVersion;
  }

  private async run(w: Watch, kind: Kind, path: string): Promise<void> {
    let rv: string | undefined;
    while (!this.stopped) {
      if (rv === undefined) {
        // (Re)starting: what changed while no watch ran is only visible to a full pass, so ask for one.
        rv = await this.listRv(kind).catch(() => undefined);
        if (rv === undefined) {
          await new Promise((r) => setTimeout(r, 1000));
          continue;
        }
        this.onEvent(`${kind} resync`);
      }
      const ended = new Promise<void>((resolve) => {
        w.watch(
          path,
          { allowWatchBookmarks: true, ...(rv !== undefined ? { resourceVersion: rv } : {}) },
          (phase, obj: Record<string, unknown>) => {
            const v = (obj['metadata'] as { resourceVersion?: string } | undefined)?.resourceVersion;
            if (v !== undefined) rv = v;
            if (interesting(kind, phase, obj)) this.onEvent(`${kind} ${phase}`);
          },
          (err: unknown) => {
            if (err !== null && err !== undefined) rv = undefined; // e.g. 410 Gone: start from now
            resolve();
          },
        ).then(
          (a) => {
            if (this.stopped) a.abort();
            else this.aborts.push(a);
          },
          () => {
            rv = undefined;
            resolve();
          },
        );
      });
      await ended;
      if (!this.stopped) await new Promise((r) => setTimeout(r, 1000));
    }
  }
}
