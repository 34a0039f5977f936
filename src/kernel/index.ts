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
