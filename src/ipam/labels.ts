// Kubernetes label selectors (metav1.LabelSelector): matchLabels AND matchExpressions; an empty
// selector matches everything; NotIn and DoesNotExist match when the key is absent.
import type { LabelSelector, LabelSelectorRequirement } from '../cluster/types.js';

const OPERATORS = new Set(['In', 'NotIn', 'Exists', 'DoesNotExist']);

/** Problems that make the selector unusable, as "field: message" strings (empty when valid). */
export function selectorProblems(sel: LabelSelector): string[] {
  const out: string[] = [];
  if (typeof sel !== 'object' || sel === null) return ['must be an object with matchLabels/matchExpressions'];
  // Local manifests reach here without a schema check: every field may have any JSON type.
  const labels: unknown = sel.matchLabels ?? {};
  if (typeof labels !== 'object' || labels === null || Array.isArray(labels))
    out.push('matchLabels: must be a map of strings');
  else
    for (const [k, v] of Object.entries(labels)) {
      if (typeof v !== 'string') out.push(`matchLabels.${k}: value must be a string`);
    }
  const exprs: unknown = sel.matchExpressions ?? [];
  if (!Array.isArray(exprs)) return [...out, 'matchExpressions: must be a list'];
  (exprs as Partial<LabelSelectorRequirement>[]).forEach((e, i) => {
    const f = `matchExpressions[${i}]`;
    if (typeof e?.key !== 'string' || e.key === '') out.push(`${f}.key: required`);
    if (!OPERATORS.has(String(e?.operator))) {
      out.push(
        `${f}.operator: expected one of In, NotIn, Exists, DoesNotExist, found ${JSON.stringify(e?.operator)}`,
      );
      return;
    }
    const values: unknown = e.values ?? [];
    if (!Array.isArray(values) || values.some((x) => typeof x !== 'string')) {
      out.push(`${f}.values: must be a list of strings`);
      return;
    }
    const n = values.length;
    if ((e.operator === 'In' || e.operator === 'NotIn') && n === 0)
      out.push(`${f}.values: required for ${e.operator}`);
    if ((e.operator === 'Exists' || e.operator === 'DoesNotExist') && n > 0) {
      out.push(`${f}.values: must be empty for ${e.operator}`);
    }
  });
  return out;
}

export function matchesSelector(sel: LabelSelector, labels: Record<string, string> | undefined): boolean {
  const l = labels ?? {};
  for (const [k, v] of Object.entries(sel.matchLabels ?? {})) {
    if (l[k] !== v) return false;
  }
  for (const e of sel.matchExpressions ?? []) {
    const has = Object.hasOwn(l, e.key);
    const value = l[e.key];
    switch (e.operator) {
      case 'In':
        if (!has || !(e.values ?? []).includes(value ?? '')) return false;
        break;
      case 'NotIn':
        if (has && (e.values ?? []).includes(value ?? '')) return false;
        break;
      case 'Exists':
        if (!has) return false;
        break;
      case 'DoesNotExist':
        if (has) return false;
        break;
      default:
        return false;
    }
  }
  return true;
}

/** Shell-style wildcards as Spiderpool accepts in pool names: *, ?, [abc], [a-z], [!a]. */
export function hasWildcard(s: string): boolean {
  return s.includes('*') || s.includes('?') || (s.includes('[') && s.includes(']'));
}

export function wildcardToRegExp(pattern: string): RegExp {
  let re = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '*') re += '.*';
    else if (c === '?') re += '.';
    else if (c === '[') {
      const close = pattern.indexOf(']', i + 1);
      if (close < 0) {
        re += '\\[';
        continue;
      }
      let body = pattern.slice(i + 1, close);
      if (body.startsWith('!') || body.startsWith('^')) body = `^${body.slice(1)}`;
      re += `[${body.replace(/\\/g, '\\\\')}]`;
      i = close;
    } else re += c.replace(/[.+^${}()|\\/]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}
