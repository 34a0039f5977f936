// Where a NetlinkKernel gets its sockets. By default one is opened in the namespace for each call and
// closed after it. A plugin process that lives for one CNI call keeps them instead (`keep`): an ADD
// makes about eight calls in two namespaces, and each fresh socket is a thread-pool round trip that
// enters the namespace. An open socket pins its namespace, so the long-lived agent never keeps one.
import type { NetnsRef } from '../types.js';
import { type Addon, NetlinkError, NlSocket } from './addon.js';

export class Sockets {
  private readonly idle = new Map<string, NlSocket[]>();

  constructor(
    private readonly addon: Addon,
    private readonly timeoutMs: number,
    private readonly keep: boolean,
  ) {}

  /** An idle socket in ns, or a new one (one request at a time per socket: never shared while taken). */
  take(ns: NetnsRef): Promise<NlSocket> {
    const s = this.keep ? this.idle.get(ns ?? '')?.pop() : undefined;
    return s ? Promise.resolve(s) : NlSocket.open(this.addon, ns, this.timeoutMs);
  }

  /**
   * Back after use. Kept only after a clean end or a kernel refusal (its ack was read); after any other
   * failure (a timeout: a late reply could still arrive) it is closed.
   */
  give(ns: NetnsRef, s: NlSocket, failure?: unknown): void {
    if (!this.keep || (failure !== undefined && !(failure instanceof NetlinkError))) {
      s.close();
      return;
    }
    const key = ns ?? '';
    const list = this.idle.get(key) ?? [];
    list.push(s);
    this.idle.set(key, list);
  }
}
