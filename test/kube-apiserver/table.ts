// meta.k8s.io/v1 Table responses: what `kubectl get` asks for (Accept: …;as=Table;g=meta.k8s.io;v=v1)
// and prints — NAME, the type's printer columns (CRD additionalPrinterColumns), AGE.
import type { PrinterColumn, ResourceType } from './resources.js';
import type { Obj } from './store.js';

export function wantsTable(accept: string | undefined): boolean {
  const first = (accept ?? '').split(',')[0] ?? '';
  return /as=Table/.test(first) && /g=meta\.k8s\.io/.test(first);
}

function age(ts: unknown): string {
  const s = Math.max(0, Math.floor((Date.now() - Date.parse(String(ts))) / 1000));
  if (Number.isNaN(s)) return '<unknown>';
  if (s < 120) return `${s}s`;
  if (s < 7200) return `${Math.floor(s / 60)}m`;
  if (s < 172800) return `${Math.floor(s / 3600)}h`;
  return `${Math.floor(s / 86400)}d`;
}

/** The values a kubectl-style JSONPath (.a.b[0], [*], [?(@.k=="v")]) selects from `obj`. */
export function jsonPath(obj: unknown, path: string): unknown[] {
  const tokens = path.replace(/^\{|\}$/g, '').match(/\.[^.[]+|\[[^\]]*\]/g) ?? [];
  let cur: unknown[] = [obj];
  for (const t of tokens) {
    const next: unknown[] = [];
    for (const v of cur) {
      if (t.startsWith('.')) {
        if (typeof v === 'object' && v !== null && !Array.isArray(v)) next.push((v as Obj)[t.slice(1)]);
        continue;
      }
      if (!Array.isArray(v)) continue;
      const inner = t.slice(1, -1);
      const filter = /^\?\(@\.([\w.]+)\s*==\s*["']?([^"']*)["']?\)$/.exec(inner);
      if (inner === '*') next.push(...v);
      else if (filter) next.push(...v.filter((x) => String(jsonPath(x, `.${filter[1]}`)[0]) === filter[2]));
      else if (/^-?\d+$/.test(inner)) next.push(v.at(Number(inner)));
    }
    cur = next.filter((x) => x !== undefined);
  }
  return cur;
}

function cell(c: PrinterColumn, obj: Obj): unknown {
  if (c.value) return c.value(obj);
  const values = jsonPath(obj, c.jsonPath);
  if (values.length === 0) return null;
  const v = values.length === 1 ? values[0] : values;
  if (c.type === 'date') return age(v);
  return typeof v === 'object' ? JSON.stringify(v) : v;
}

const definition = (c: PrinterColumn) => ({
  name: c.name,
  type: c.type === 'date' ? 'string' : c.type,
  format: c.format ?? '',
  description: c.description ?? '',
  priority: c.priority ?? 0,
});

/** `include`: the includeObject query parameter (Object, None, default PartialObjectMetadata). */
export function toTable(
  r: ResourceType,
  items: Obj[],
  metadata: Record<string, unknown>,
  include: string | null,
): unknown {
  const cols = r.columns ?? [];
  const withAge = (!r.crd || r.columns === undefined) && !cols.some((c) => c.name === 'Age');
  return {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata,
    columnDefinitions: [
      {
        name: 'Name',
        type: 'string',
        format: 'name',
        description: 'Name must be unique within a namespace.',
        priority: 0,
      },
      ...cols.map(definition),
      ...(withAge
        ? [{ name: 'Age', type: 'string', format: '', description: 'Time since creation.', priority: 0 }]
        : []),
    ],
    rows: items.map((o) => ({
      cells: [
        o.metadata?.name ?? '',
        ...cols.map((c) => cell(c, o)),
        ...(withAge ? [age(o.metadata?.creationTimestamp)] : []),
      ],
      ...(include === 'None'
        ? {}
        : {
            object:
              include === 'Object'
                ? o
                : { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: o.metadata ?? {} },
          }),
    })),
  };
}
