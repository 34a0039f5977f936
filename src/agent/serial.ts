// Per-container serialization: commands for the same container run one after another in arrival
// order (an ADD and a DEL of one container never interleave), different containers run in parallel.

export class KeyedSerializer {
  private readonly tails = new Map<string, Promise<unknown>>();

  get keys(): number {
    return this.tails.size;
  }

  run<T>(key: string, fn: () => Promise<T>): Promise<T> {
    if (key === '') return fn();
    const prev = this.tails.get(key) ?? Promise.resolve();
    const next = prev.then(fn, fn);
    const tail = next.then(
      () => undefined,
      () => undefined,
    );
    this.tails.set(key, tail);
    // Forget the key once nothing is queued behind this call, so the map does not grow with churn.
    void tail.then(() => {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    });
    return next;
  }
}
