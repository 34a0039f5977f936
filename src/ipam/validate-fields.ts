// Field checks shared by the pool and reserved-IP rules: address lists ("a-b" ranges, family, inside
// the subnet), label selectors and name lists. Each reports through `issue(field, message)`.
import type { LabelSelector } from '../cluster/types.js';
import { errorText } from '../cni/errors.js';
import { selectorProblems } from './labels.js';
import { type Cidr, type Family, formatCidr, parseRange } from './ranges.js';

/** Records one problem of the object being checked. */
type IssueAt = (field: string, message: string) => void;

export function checkEntries(
  issue: IssueAt,
  field: string,
  entries: unknown,
  family: Family | undefined,
  subnet: Cidr | undefined,
): void {
  if (entries === undefined) return;
  if (!Array.isArray(entries)) {
    issue(field, 'must be a list of addresses or "a-b" ranges');
    return;
  }
  for (const [i, e] of entries.entries()) {
    const f = `${field}[${i}]`;
    if (typeof e !== 'string') {
      issue(f, `expected a string, found ${JSON.stringify(e)}`);
      continue;
    }
    let iv: ReturnType<typeof parseRange>;
    try {
      iv = parseRange(e);
    } catch (err) {
      issue(f, errorText(err));
      continue;
    }
    if (family !== undefined && iv.family !== family) {
      issue(f, `"${e}" is IPv${iv.family}, expected IPv${family}`);
    } else if (subnet !== undefined && (iv.start < subnet.network || iv.end > subnet.broadcast)) {
      issue(f, `"${e}" is outside spec.subnet ${formatCidr(subnet)}`);
    }
  }
}

export function checkSelector(issue: IssueAt, field: string, sel: LabelSelector | undefined) {
  if (sel === undefined) return;
  for (const p of selectorProblems(sel)) issue(field, p);
}

export function checkNames(issue: IssueAt, field: string, v: unknown) {
  if (v === undefined) return;
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'string' || x === ''))
    issue(field, 'must be a list of names');
}
