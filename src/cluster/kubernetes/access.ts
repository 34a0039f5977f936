// The Kubernetes source's way to the API: the client loaded once (and again when the kubeconfig is
// rewritten or a 401 says the token rotated), every read through call(): a 404 as undefined, a 503
// retried for a while, a reused connection the server closed retried once, failures as CniErrors.
import { statSync } from 'node:fs';
import { apiFailure, type Clients, httpStatus, loadClients, sleep, withTimeout } from './client.js';

export interface KubernetesSourceOptions {
  /** Path of a kubeconfig; absent → in-cluster service account. */
  kubeconfig?: string;
  /** Per-request limit (default 10 s). */
  timeoutMs?: number;
  /** Attempts for update-on-conflict (default 5, as client-go's retry.DefaultRetry). */
  conflictRetries?: number;
}

/** Identity of a file's current content (inode, size, mtime); '' when absent or not a file path. */
function fileStamp(path: string | undefined): string {
  if (path === undefined) return '';
  try {
    const st = statSync(path);
    return `${st.ino}:${st.size}:${st.mtimeMs}`;
  } catch {
    return '';
  }
}

const isReset = (err: unknown) => (err as { code?: unknown } | null)?.code === 'ECONNRESET';

export class KubernetesAccess {
  private clients: Promise<Clients> | undefined;
  private stamp = '';
  protected readonly timeoutMs: number;
  protected readonly retries: number;

  constructor(protected readonly opts: KubernetesSourceOptions = {}) {
    this.timeoutMs = opts.timeoutMs ?? 10_000;
    this.retries = opts.conflictRetries ?? 5;
  }

  /**
   * The client, loaded once; a failed load (service-account files not mounted yet) is retried next
   * call, and a kubeconfig rewritten since (the installer puts a rotated token into it) is reloaded.
   */
  protected api(): Promise<Clients> {
    const stamp = fileStamp(this.opts.kubeconfig);
    // A kubeconfig that vanished keeps the credentials already loaded.
    if (stamp !== this.stamp && stamp !== '') {
      this.stamp = stamp;
      this.clients = undefined;
    }
    this.clients ??= loadClients(this.opts.kubeconfig).catch((err: unknown) => {
      this.clients = undefined;
      throw err;
    });
    return this.clients;
  }

  /** Forget the loaded credentials; the next request reads the kubeconfig / token again. */
  protected reloadCredentials(): void {
    this.clients = undefined;
  }

  /**
   * Run one read; 404 → undefined (or error), 503 retried for `retry503Ms`, a reset connection once,
   * failures → CniError.
   * A 401 reloads the credentials once (a kubeconfig rewritten with a rotated token) and retries.
   */
  protected async call<T>(
    what: string,
    fn: (c: Clients) => Promise<T>,
    notFound: 'undefined' | 'throw',
    retry503Ms = 0,
  ): Promise<T | undefined> {
    let c = await this.api();
    const deadline = Date.now() + retry503Ms;
    let reloaded = false;
    let reset = false;
    for (;;) {
      try {
        return await withTimeout(fn(c), this.timeoutMs, what, c.server);
      } catch (err) {
        const status = httpStatus(err);
        if (notFound === 'undefined' && status === 404) return undefined;
        // A kept-alive connection the server closed as we reused it (client-go retries these too).
        if (isReset(err) && !reset) {
          reset = true;
          continue;
        }
        if (status === 503 && Date.now() < deadline) {
          await sleep(500);
          continue;
        }
        if (status === 401 && !reloaded) {
          reloaded = true;
          this.reloadCredentials();
          c = await this.api();
          continue;
        }
        throw apiFailure(err, what, c.server);
      }
    }
  }
}
