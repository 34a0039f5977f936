// A list + watch cache of one resource, on client-node's Watch (its ListWatch stops for good on the
// first non-410 error and can leave a watch running after stop(); this one owns its lifecycle):
// LIST, then WATCH from the list's resourceVersion with bookmarks; a watch that ends is resumed from
// the last resourceVersion seen; 410 Gone (history compacted) means LIST again; any other failure
// reconnects after a jittered, doubling backoff; every `resyncMs` the cache is rebuilt from a LIST.
import { errorText } from '../../cni/errors.js';
import { log } from '../../cni/log.js';
import { type Clients, httpStatus, sleep } from './client.js';
import type { Raw } from './convert.js';

export interface InformerSpec<T> {
  /** For messages and the sync report: "pods on node-a", "SpiderIPPools". */
  what: string;
  /** Collection path, e.g. /api/v1/pods or /apis/spiderpool.spidernet.io/v2beta1/spiderippools. */
  path: string;
  fieldSelector?: string;
  list(c: Clients): Promise<{ items?: unknown[]; metadata?: { resourceVersion?: string } }>;
  convert(raw: unknown): T;
}

export interface InformerOptions {
  resyncMs?: number;
  backoffMs?: number;
  maxBackoffMs?: number;
  /** Server-side watch timeout (client-go: 5–10 min, randomized). */
  watchTimeoutSeconds?: number;
  /** Called on 401: the credentials changed on disk (rotated token), load them again. */
  onUnauthorized?: () => void;
  /**
   * Called after the cache applied a change, from a watch event or from a LIST's difference to the
   * cache (what a relist found added, changed or gone), so a controller can act on it at once.
   */
  onChange?: (type: ChangeType, raw: unknown) => void;
}

export type ChangeType = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface SyncState {
  what: string;
  synced: boolean;
  error?: string;
}

const keyOf = (raw: unknown) => {
  const m = (raw as Raw).metadata ?? {};
  return `${String(m['namespace'] ?? '')}/${String(m['name'] ?? '')}`;
};
const rvOf = (raw: unknown) => String((raw as Raw).metadata?.['resourceVersion'] ?? '');

/** a is newer than b (resourceVersions are opaque; etcd's are integers, compared as such). */
function newer(a: string, b: string): boolean {
  if (/^\d+$/.test(a) && /^\d+$/.test(b)) return BigInt(a) > BigInt(b);
  return a !== b;
}

export class Informer<T> {
  private items = new Map<string, { rv: string; value: T; raw: unknown }>();
  private rv = '';
  private synced = false;
  private error: string | undefined;
  private stopped = true;
  private abort: AbortController | undefined;
  private loop: Promise<void> | undefined;
  private firstSync: { promise: Promise<void>; resolve: () => void };

  constructor(
    private readonly clients: () => Promise<Clients>,
    private readonly spec: InformerSpec<T>,
    private readonly opts: InformerOptions = {},
  ) {
    let resolve!: () => void;
    const promise = new Promise<void>((r) => {
      resolve = r;
    });
    this.firstSync = { promise, resolve };
  }

  /** The raw object is kept only for onChange (a relist reports what it dropped). */
  private kept(raw: unknown): unknown {
    return this.opts.onChange !== undefined ? raw : undefined;
  }

  get isSynced(): boolean {
    return this.synced;
  }

  state(): SyncState {
    return { what: this.spec.what, synced: this.synced, ...(this.error ? { error: this.error } : {}) };
  }

  /** Resolves after the first complete LIST (or never, while the API stays unreachable). */
  whenSynced(): Promise<void> {
    return this.firstSync.promise;
  }

  get(namespace: string | undefined, name: string): T | undefined {
    return this.items.get(`${namespace ?? ''}/${name}`)?.value;
  }

  list(): T[] {
    return [...this.items.values()].map((e) => e.value);
  }

  /** A write's answer (our own status update), applied before its watch event arrives. */
  upsert(raw: unknown): void {
    const key = keyOf(raw);
    const cur = this.items.get(key);
    const rv = rvOf(raw);
    if (cur === undefined || newer(rv, cur.rv))
      this.items.set(key, { rv, value: this.spec.convert(raw), raw: this.kept(raw) });
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.abort?.abort();
    await this.loop;
  }

  private async run(): Promise<void> {
    const base = this.opts.backoffMs ?? 200;
    const max = this.opts.maxBackoffMs ?? 30_000;
    const resyncMs = this.opts.resyncMs ?? 30 * 60_000;
    let delay = base;
    let nextResync = Date.now() + resyncMs;
    while (!this.stopped) {
      try {
        if (this.rv === '' || Date.now() >= nextResync) {
          await this.relist();
          nextResync = Date.now() + resyncMs * (0.9 + Math.random() * 0.2);
        }
        if (this.stopped) break;
        const gotEvents = await this.watchOnce(
          Math.min(resyncMs / 1000, this.opts.watchTimeoutSeconds ?? 300),
        );
        this.error = undefined;
        if (gotEvents) delay = base;
      } catch (err) {
        if (this.stopped) break;
        const status = httpStatus(err);
        if (status === 410) {
          this.rv = ''; // compacted: only a new LIST can resume
          continue;
        }
        if (status === 401) this.opts.onUnauthorized?.();
        this.error = errorText(err);
        log('warn', 'Kubernetes cache: watch failed, reconnecting', {
          what: this.spec.what,
          error: this.error,
          retryInMs: Math.round(delay),
        });
        await sleep(delay * (0.5 + Math.random()));
        delay = Math.min(max, delay * 2);
      }
    }
  }

  private async relist(): Promise<void> {
    const c = await this.clients();
    const list = await this.spec.list(c);
    const next = new Map<string, { rv: string; value: T; raw: unknown }>();
    for (const raw of list.items ?? [])
      next.set(keyOf(raw), { rv: rvOf(raw), value: this.spec.convert(raw), raw: this.kept(raw) });
    const before = this.items;
    this.items = next;
    const changed = this.opts.onChange;
    if (changed !== undefined) {
      for (const [k, e] of next) {
        const old = before.get(k);
        if (old === undefined) changed('ADDED', e.raw);
        else if (old.rv !== e.rv) changed('MODIFIED', e.raw);
      }
      for (const [k, e] of before) if (!next.has(k)) changed('DELETED', e.raw);
    }
    this.rv = list.metadata?.resourceVersion ?? '';
    if (!this.synced) {
      this.synced = true;
      this.firstSync.resolve();
    }
  }

  /** One watch request; resolves when the server ends it (true when any event came), rejects on failure. */
  private async watchOnce(timeoutSeconds: number): Promise<boolean> {
    const c = await this.clients();
    const watch = new c.lib.Watch(c.kc);
    let events = 0;
    let gone: Error | undefined;
    let finished = false;
    return new Promise<boolean>((resolve, reject) => {
      const done = (err: unknown) => {
        finished = true;
        this.abort = undefined;
        if (gone) reject(gone);
        else if (err && !this.stopped) reject(err);
        else resolve(events > 0);
      };
      const onEvent = (type: string, obj: unknown) => {
        events++;
        if (type === 'ERROR') {
          // A Status object in the stream: 410 Gone when our resourceVersion is too old.
          const code = (obj as { code?: number }).code;
          gone = Object.assign(new Error((obj as { message?: string }).message ?? 'watch error'), {
            statusCode: code ?? 500,
          });
          this.abort?.abort();
          return;
        }
        const rv = rvOf(obj);
        if (type === 'ADDED' || type === 'MODIFIED') {
          // Not older than what our own write put there (upsert) ahead of its event.
          const cur = this.items.get(keyOf(obj));
          if (cur === undefined || !newer(cur.rv, rv)) {
            this.items.set(keyOf(obj), { rv, value: this.spec.convert(obj), raw: this.kept(obj) });
            this.opts.onChange?.(type, obj);
          }
        } else if (type === 'DELETED') {
          this.items.delete(keyOf(obj));
          this.opts.onChange?.(type, obj);
        }
        if (rv !== '') this.rv = rv;
      };
      const query: Record<string, string | number | boolean> = {
        resourceVersion: this.rv,
        allowWatchBookmarks: true,
        timeoutSeconds: Math.max(1, Math.round(timeoutSeconds * (1 + Math.random()))),
        ...(this.spec.fieldSelector ? { fieldSelector: this.spec.fieldSelector } : {}),
      };
      watch.watch(this.spec.path, query, onEvent, done).then(
        (ctrl) => {
          if (this.stopped) ctrl.abort();
          else if (!finished) {
            this.abort = ctrl;
            this.error = undefined; // connected again
          }
        },
        (err: unknown) => done(err),
      );
    });
  }
}
