// The delegation chain: which plugin types are running, outermost first, for the call at hand. A
// config whose delegate is a plugin already on the chain (e.g. `ipam.type: trunkline-macvlan`) would
// recurse until the node runs out of memory or processes, so delegation refuses cycles and depth.
// In-process the chain lives in async context; across processes it travels in TRUNKLINE_DELEGATION.
import { AsyncLocalStorage } from 'node:async_hooks';
import { invalidConfig } from './errors.js';

export const CHAIN_ENV = 'TRUNKLINE_DELEGATION';
/** meta → main plugin → IPAM is 3; a little room for third-party wrappers. */
const MAX_DELEGATION_DEPTH = 8;

const store = new AsyncLocalStorage<readonly string[]>();

function inherited(): readonly string[] {
  const own = store.getStore();
  if (own) return own;
  const raw = process.env[CHAIN_ENV] ?? '';
  return raw === '' ? [] : raw.split(',').slice(0, MAX_DELEGATION_DEPTH + 1);
}

/**
 * Turns the async context off until the next runAs: a start-up snapshot cannot hold the promise hooks
 * it enables, and the snapshot's warm-up runs calls (src/cni/warm.ts).
 */
export function leaveAsyncContext(): void {
  store.disable();
}

/** Runs `fn` as plugin `type`: nested delegation sees `type` on the chain. */
export function runAs<T>(type: string, fn: () => T): T {
  const parent = inherited();
  // A process started by a delegating parent finds itself already at the chain's end.
  const chain = parent.at(-1) === type ? parent : [...parent, type];
  return store.run(chain, fn);
}

/** The chain a delegate of `type` runs with; throws code 7 on a cycle or when too deep. */
export function enterDelegate(type: string): string[] {
  const chain = inherited();
  if (chain.includes(type)) {
    throw invalidConfig(
      `delegation cycle: ${[...chain, type].join(' → ')}`,
      `a plugin cannot delegate to a type already running in this call; check the delegate's "type" and "ipam.type"`,
    );
  }
  if (chain.length >= MAX_DELEGATION_DEPTH) {
    throw invalidConfig(
      `delegation deeper than ${MAX_DELEGATION_DEPTH} plugins: ${[...chain, type].join(' → ')}`,
      'delegates must not nest this deep',
    );
  }
  return [...chain, type];
}
