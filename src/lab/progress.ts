// Progress lines with timings; a failing step becomes a LabStepError naming it.
import { errorText } from '../cni/errors.js';
import { LabStepError } from './errors.js';
import type { StepTiming } from './types.js';

type Say = (line: string) => void;

export class Progress {
  readonly steps: StepTiming[] = [];
  constructor(readonly say: Say) {}

  async step<T>(name: string, fn: () => Promise<T>, hint?: (e: unknown) => string | undefined): Promise<T> {
    const t0 = performance.now();
    try {
      const v = await fn();
      const ms = Math.round(performance.now() - t0);
      this.steps.push({ step: name, ms, ok: true });
      this.say(`  ✓ ${name} (${ms} ms)`);
      return v;
    } catch (e) {
      const ms = Math.round(performance.now() - t0);
      const msg = errorText(e);
      this.steps.push({ step: name, ms, ok: false, error: msg });
      this.say(`  ✗ ${name} (${ms} ms)`);
      if (e instanceof LabStepError) throw e;
      throw new LabStepError(name, e, hint?.(e));
    }
  }
}
