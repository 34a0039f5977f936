// Event-driven GC: watch pods and nodes and wake the leader's loop when something that can free an
// address happens (a pod deleted, terminating or completed; a node deleted or not Ready), so a leak
// is collected within seconds instead of at the next periodic scan. Watches resume from the last
// resourceVersion and restart from "now" after an error; the periodic scan covers any gap.
import type { Clients } from '../cluster/kubernetes/client.js';

type Watch = InstanceType<Clients['lib']['Watch']>;

const interesting = (kind: 'pod' | 'node', phase: string, o: Record<string, unknown>): boolean => {
  if (phase === 'DELETED') return true;
  if (phase !== 'MODIFIED') return false;
  const meta = (o['metadata'] ?? {}) as { deletionTimestamp?: unknown };
  const status = (o['status'] ?? {}) as { phase?: string; conditions?: { type: string; status: string }[] };
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
    ] as const)
      void this.run(w, kind, path);
  }

  stop(): void {
    this.stopped = true;
    for (const a of this.aborts.splice(0)) a.abort();
  }

  private async run(w: Watch, kind: 'pod' | 'node', path: string): Promise<void> {
    let rv: string | undefined;
    while (!this.stopped) {
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
