// Store failures as CNI errors. Lives here (not in src/ipam) because the store layer raises it and
// may not import from the domain layer above it; src/ipam/errors.ts re-exports it.
import { CniError, Code } from '../cni/errors.js';

export class StoreUnavailableError extends CniError {
  readonly store: string;
  constructor(store: string, reason: string, options?: { cause?: unknown }) {
    super(
      Code.StoreUnavailable,
      `IPAM store ${store} is unavailable: ${reason}`,
      'expected a readable and writable allocation store',
      options,
    );
    this.name = 'StoreUnavailableError';
    this.store = store;
  }
}
