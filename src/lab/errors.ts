// Lab errors: a scenario with mistakes (every issue names the manifest and the field) and a build
// step that failed (named, with what the kernel or plugin said).
import { CniError, Code } from '../cni/errors.js';
import type { Origin } from './types.js';

export interface ScenarioIssue {
  /** e.g. `examples/lab-broken.yaml:57` */
  where: string;
  /** e.g. `Pod default/bad-nad` */
  object: string;
  /** e.g. `metadata.annotations["k8s.v1.cni.cncf.io/networks"]` */
  field: string;
  message: string;
}

const formatIssue = (i: ScenarioIssue): string => `${i.where}: ${i.object}: ${i.field}: ${i.message}`;

/** Dotted path with bracketed keys that contain dots or slashes (annotation names). */
function fieldPath(path: readonly (string | number)[]): string {
  let out = '';
  for (const p of path) {
    if (typeof p === 'number') out += `[${p}]`;
    else if (/^[A-Za-z_][A-Za-z0-9_-]*$/.test(p)) out += out === '' ? p : `.${p}`;
    else out += `[${JSON.stringify(p)}]`;
  }
  return out;
}

export function issueAt(origin: Origin, path: readonly (string | number)[], message: string): ScenarioIssue {
  const line = origin.lineOf(path) ?? origin.line;
  return { where: `${origin.file}:${line}`, object: origin.object, field: fieldPath(path), message };
}

export class LabScenarioError extends CniError {
  readonly issues: ScenarioIssue[];
  constructor(file: string, issues: ScenarioIssue[]) {
    super(
      Code.InvalidConfig,
      `scenario ${file} has ${issues.length} problem${issues.length === 1 ? '' : 's'}:\n${issues.map((i) => `  ${formatIssue(i)}`).join('\n')}`,
    );
    this.name = 'LabScenarioError';
    this.issues = issues;
  }
}

export class LabStepError extends CniError {
  readonly step: string;
  /** `hint` (what to do) becomes the details; the failure itself stays the cause. */
  constructor(step: string, cause: unknown, hint?: string) {
    super(
      cause instanceof CniError ? cause.code : Code.Internal,
      `step "${step}" failed`,
      hint ?? (cause instanceof CniError ? cause.details : undefined),
      { cause },
    );
    this.name = 'LabStepError';
    this.step = step;
  }
}
