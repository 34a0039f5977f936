// apply = checkpoint, plan, execute, verify (desired ⊆ current), probe; on any failure restore the
// checkpoint. Like `nmstatectl apply` with automatic rollback, for the interfaces the config concerns.
import { errorText } from '../cni/errors.js';
import type { Kernel, NetnsRef } from '../kernel/types.js';
import { HostApplyError } from './errors.js';
import { runSteps, runStepsBestEffort } from './exec.js';
import { plan } from './plan.js';
import { type Prober, pingProbe } from './probe.js';
import { readState } from './state.js';
import { resolveTarget } from './target.js';
import type { ApplyReport, HostConfig, HostState, ProbeSpec } from './types.js';
import { diffStates, verifyDesired } from './verify.js';

export interface ApplyOptions {
  /** Namespace to configure (a path such as /var/run/netns/X); null/undefined = this process's. */
  ns?: NetnsRef;
  probe?: ProbeSpec;
  /** Replaces the ping probe (tests). */
  prober?: Prober;
  /** Progress lines ("create bond bond0 (active-backup)", "rollback: …"). */
  log?: (line: string) => void;
}

/** Kernel side effects the plan does not model exactly are settled by planning again. */
const SETTLE_PASSES = 2;

export async function applyHostConfig(
  kernel: Kernel,
  config: HostConfig,
  opts: ApplyOptions = {},
): Promise<ApplyReport> {
  const ns = opts.ns ?? null;
  const log = opts.log ?? (() => {});
  const checkpoint = await readState(kernel, ns);
  const { state: target, scope } = resolveTarget(checkpoint, config); // config errors: nothing touched yet
  const first = plan(checkpoint, target, scope);
  if (first.length === 0 && verifyDesired(config, checkpoint).length === 0)
    return { changed: false, steps: [], rolledBack: false };

  const done: string[] = [];
  const report: ApplyReport = { changed: true, steps: done, rolledBack: false };
  try {
    let steps = first;
    let now = checkpoint;
    for (let pass = 0; steps.length > 0 && pass < SETTLE_PASSES; pass++) {
      for (const s of steps) log(s.what);
      await runSteps(kernel, ns, steps, done);
      now = await readState(kernel, ns, { addrs: false }); // apply never changes addresses
      steps = plan(now, target, scope);
    }
    // Whatever two passes could not settle shows up here.
    const mismatches = verifyDesired(config, now);
    if (mismatches.length > 0) throw new Error(`verification failed: ${mismatches.join('; ')}`);
    if (opts.probe !== undefined) {
      const { gateway, timeoutMs } = opts.probe;
      const t0 = Date.now();
      const ok = await (opts.prober ?? pingProbe)(ns, gateway, timeoutMs);
      report.probe = { gateway, ok, ms: Date.now() - t0 };
      log(`probe: ping ${gateway} ${ok ? 'answered' : `got no answer within ${timeoutMs} ms`}`);
      if (!ok) throw new Error(`probe failed: ${gateway} did not answer within ${timeoutMs} ms`);
    }
    return report;
  } catch (e) {
    const rb = await rollback(kernel, ns, checkpoint, scope, log);
    report.rolledBack = true;
    const why = errorText(e);
    const tail = rb.complete
      ? 'rolled back to the previous state'
      : `ROLLBACK INCOMPLETE: ${rb.errors.join('; ')}`;
    throw new HostApplyError(
      `host apply failed: ${why}; ${tail}`,
      { ...report, rollbackComplete: rb.complete, rollbackErrors: rb.errors },
      { cause: e },
    );
  }
}

export interface RollbackResult {
  complete: boolean;
  /** True when the interfaces match the checkpoint again (a failed step may have been redone). */
  errors: string[];
}

/** Bring `scope` back to `checkpoint` (best effort, every step tried), then compare. */
export async function rollback(
  kernel: Kernel,
  ns: NetnsRef,
  checkpoint: HostState,
  scope: Set<string>,
  log: (line: string) => void = () => {},
): Promise<RollbackResult> {
  const errors: string[] = [];
  for (let pass = 0; pass < SETTLE_PASSES; pass++) {
    const steps = plan(await readState(kernel, ns), checkpoint, scope);
    if (steps.length === 0) break;
    for (const s of steps) log(`rollback: ${s.what}`);
    errors.push(...(await runStepsBestEffort(kernel, ns, steps)));
  }
  const diff = diffStates(checkpoint, await readState(kernel, ns), scope);
  return { complete: diff.length === 0, errors: [...errors, ...diff] };
}
