// Run plan steps through the Kernel interface, one at a time and in order.
import { errorText } from '../cni/errors.js';
import { Exists, isGone } from '../kernel/errors.js';
import type { Kernel, NetnsRef } from '../kernel/types.js';
import type { Step } from './types.js';

class StepFailed extends Error {
  constructor(
    readonly step: Step,
    override readonly cause: unknown,
  ) {
    super(step.what, { cause });
    this.name = 'StepFailed';
  }
}

async function runStep(kernel: Kernel, ns: NetnsRef, step: Step): Promise<void> {
  switch (step.op) {
    case 'create':
      return kernel.createLink(ns, step.spec);
    case 'delete':
      try {
        await kernel.deleteLink(ns, step.name);
      } catch (e) {
        if (!isGone(e)) throw e; // removed already along with its lower device
      }
      return;
    case 'set':
      return kernel.setLink(ns, step.name, step.change);
    case 'addAddr':
      try {
        await kernel.addAddr(ns, step.name, step.cidr, { noDad: true });
      } catch (e) {
        if (!(e instanceof Exists)) throw e;
      }
      return;
  }
}

/** Stops at the first failure (StepFailed); returns the descriptions of the steps done. */
export async function runSteps(
  kernel: Kernel,
  ns: NetnsRef,
  steps: Step[],
  done: string[] = [],
): Promise<string[]> {
  for (const step of steps) {
    try {
      await runStep(kernel, ns, step);
    } catch (e) {
      throw new StepFailed(step, e);
    }
    done.push(step.what);
  }
  return done;
}

/** Runs every step even when some fail (rollback); returns the failures. */
export async function runStepsBestEffort(kernel: Kernel, ns: NetnsRef, steps: Step[]): Promise<string[]> {
  const errors: string[] = [];
  for (const step of steps) {
    try {
      await runStep(kernel, ns, step);
    } catch (e) {
      errors.push(errorText(new StepFailed(step, e)));
    }
  }
  return errors;
}
