// Concurrency limit with back-pressure: at most `limit` requests are served at once, up to
// `queueLimit` more wait (accepted but not read, so a waiting shim costs a socket, not a buffered
// request), and beyond that the caller is told to come back later. Memory stays bounded under any
// burst — the failure mode of an unbounded daemon is an OOM kill in the middle of pod start-up.

type Release = () => void;

export class Gate {
  private active = 0;
  private readonly waiting: ((release: Release) => void)[] = [];

  constructor(
    readonly limit: number,
    readonly queueLimit: number,
  ) {}

  get inFlight(): number {
    return this.active;
  }
  get queued(): number {
    return this.waiting.length;
  }

  /** A slot now, a promise of one, or undefined when even the queue is full. */
  enter(): Promise<Release> | undefined {
    if (this.active < this.limit) {
      this.active++;
      return Promise.resolve(this.releaser());
    }
    if (this.waiting.length >= this.queueLimit) return undefined;
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  private releaser(): Release {
    let done = false;
    return () => {
      if (done) return;
      done = true;
      const next = this.waiting.shift();
      // The slot passes straight to the next waiter, so `active` is unchanged.
      if (next) next(this.releaser());
      else this.active--;
    };
  }
}
