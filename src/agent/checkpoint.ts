// SQLite WAL checkpoints at quiet moments. A commit that finds 1,000 pages in the WAL checkpoints it
// on the spot — 10–30 ms of synchronous writes and fsync on the agent's only thread, which every
// request in flight then waits out (a tail outlier every few hundred pods). The agent's stores raise
// that bound (AGENT_WAL_PAGES, still a cap under sustained load) and checkpoint here instead, once
// nothing has been in flight for `delayMs`.
import { SqliteStore } from '../store/sqlite.js';
import type { AllocationStore } from '../store/types.js';

/** The agent's automatic-checkpoint bound: 16 MiB of WAL at 4 KiB pages. */
export const AGENT_WAL_PAGES = 4000;

export class QuietCheckpoints {
  private timer: NodeJS.Timeout | undefined;
  /** Checkpoints run and WAL pages they copied, for tests and the debug log. */
  runs = 0;
  pages = 0;

  constructor(
    private readonly stores: () => Iterable<AllocationStore>,
    private readonly busy: () => boolean,
    private readonly delayMs = 200,
  ) {}

  /** Nothing is in flight: checkpoint after delayMs unless a request arrived meanwhile. */
  idle(): void {
    if (this.timer) this.timer.refresh();
    else this.timer = setTimeout(() => this.run(), this.delayMs).unref();
  }

  private run(): void {
    if (this.busy()) return; // the next idle() re-arms the timer
    for (const s of this.stores()) {
      if (!(s instanceof SqliteStore)) continue;
      this.pages += s.checkpoint();
      this.runs++;
    }
  }

  stop(): void {
    clearTimeout(this.timer);
  }
}
