// Label and field selectors in the string syntax the API server accepts on list and watch.

type Obj = Record<string, unknown>;
type Test = (obj: Obj) => boolean;

export class SelectorError extends Error {}

function labelsOf(obj: Obj): Record<string, string> {
  const meta = obj.metadata as Obj | undefined;
  return (meta?.labels as Record<string, string> | undefined) ?? {};
}

/** Split on commas that are not inside a set "( … )". */
function splitTerms(s: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let cur = '';
  for (const ch of s) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ',' && depth === 0) {
      out.push(cur);
      cur = '';
    } else {
      cur += ch;
    }
  }
  out.push(cur);
  return out.map((t) => t.trim()).filter((t) => t !== '');
}

function labelTerm(term: string): Test {
  let m = /^([\w./-]+)\s+(in|notin)\s+\(([^)]*)\)$/.exec(term);
  if (m) {
    const [, key, op, list] = m as unknown as [string, string, string, string];
    const values = new Set(list.split(',').map((v) => v.trim()));
    return op === 'in'
      ? (o) => key in labelsOf(o) && values.has(labelsOf(o)[key]!)
      : (o) => !(key in labelsOf(o)) || !values.has(labelsOf(o)[key]!);
  }
  m = /^([\w./-]+)\s*(==|=|!=)\s*([\w./-]*)$/.exec(term);
  if (m) {
    const [, key, op, value] = m as unknown as [string, string, string, string];
    return op === '!=' ? (o) => labelsOf(o)[key] !== value : (o) => labelsOf(o)[key] === value;
  }
  m = /^(!?)([\w./-]+)$/.exec(term);
  if (m) {
    const [, neg, key] = m as unknown as [string, string, string];
    return neg === '!' ? (o) => !(key in labelsOf(o)) : (o) => key in labelsOf(o);
  }
  throw new SelectorError(`unable to parse requirement: ${JSON.stringify(term)}`);
}

export function labelSelector(s: string | null): Test {
  if (s === null || s.trim() === '') return () => true;
  const tests = splitTerms(s).map(labelTerm);
  return (o) => tests.every((t) => t(o));
}

function fieldValue(obj: Obj, path: string): string {
  let cur: unknown = obj;
  for (const part of path.split('.')) {
    if (typeof cur !== 'object' || cur === null) return '';
    cur = (cur as Obj)[part];
  }
  return cur === undefined || cur === null ? '' : String(cur);
}

export function fieldSelector(s: string | null): Test {
  if (s === null || s.trim() === '') return () => true;
  const tests = s.split(',').map((term): Test => {
    const m = /^\s*([\w.]+)\s*(==|=|!=)\s*(.*?)\s*$/.exec(term);
    if (!m) throw new SelectorError(`invalid field selector: ${JSON.stringify(term)}`);
    const [, path, op, value] = m as unknown as [string, string, string, string];
    return op === '!=' ? (o) => fieldValue(o, path) !== value : (o) => fieldValue(o, path) === value;
  });
  return (o) => tests.every((t) => t(o));
}
