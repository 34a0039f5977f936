// The kernel layer's entry: types, typed errors, and the default backend (created on first use).
import { Iproute2Kernel } from './iproute2/kernel.js';
import type { Kernel } from './types.js';

export * from './errors.js';
export type * from './types.js';
export { Iproute2Kernel };

let kernel: Kernel | undefined;

export function defaultKernel(): Kernel {
  kernel ??= new Iproute2Kernel();
  return kernel;
}

let auto: Promise<Kernel> | undefined;

/**
 * The backend for a plugin process without the agent: netlink when its addon loads (no process per
 * kernel operation: an ADD through iproute2 spawns eleven), else iproute2. Loaded on first use.
 */
export function processKernel(): Promise<Kernel> {
  auto ??= import('./netlink/index.js').then(({ createNetlinkKernel }) => {
    const iproute2 = new Iproute2Kernel();
    // The process ends with the call: its sockets may stay open until then.
    return createNetlinkKernel(undefined, iproute2, { keepSockets: true }) ?? iproute2;
  });
  return auto;
}
