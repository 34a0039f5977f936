// `spec.expect` of a `kind: Lab` document: which pods must (or must not) reach which.
import type { Expectation, PodRef } from '../types.js';
import { type Bad, isRec, type Path } from './fields.js';

function parsePodRef(s: string): PodRef | undefined {
  const m = /^(?:([a-z0-9][-a-z0-9]*)\/)?([a-z0-9][-a-z0-9.]*)(?:@([^\s/:]{1,15}))?$/.exec(s.trim());
  if (!m) return undefined;
  // No namespace: resolved against the scenario's pods once they are known (resolvePodRefs).
  return { namespace: m[1] ?? '', name: m[2]!, ...(m[3] !== undefined ? { iface: m[3] } : {}) };
}

export function parseExpect(v: unknown, bad: Bad): Expectation[] {
  if (v === undefined) return [];
  if (!isRec(v)) {
    bad(['spec', 'expect'], 'expected {reachable: [...], unreachable: [...]}');
    return [];
  }
  const out: Expectation[] = [];
  for (const key of ['reachable', 'unreachable'] as const) {
    const list = v[key] ?? [];
    if (!Array.isArray(list)) {
      bad(['spec', 'expect', key], 'expected a list of {from, to}');
      continue;
    }
    list.forEach((e, i) => {
      const at: Path = ['spec', 'expect', key, i];
      if (!isRec(e)) {
        bad(at, 'expected {from: pod, to: pod | [pods]}');
        return;
      }
      const from = typeof e['from'] === 'string' ? parsePodRef(e['from']) : undefined;
      if (from === undefined) {
        bad(
          [...at, 'from'],
          `expected a pod ("name" or "namespace/name"), found ${JSON.stringify(e['from'])}`,
        );
        return;
      }
      const tos = Array.isArray(e['to']) ? e['to'] : [e['to']];
      tos.forEach((t, j) => {
        const to = typeof t === 'string' ? parsePodRef(t) : undefined;
        if (to === undefined) {
          bad(
            [...at, 'to', ...(Array.isArray(e['to']) ? [j] : [])],
            `expected a pod ("name", "namespace/name" or "name@iface"), found ${JSON.stringify(t)}`,
          );
          return;
        }
        out.push({
          from,
          to,
          reachable: key === 'reachable',
          path: [...at, 'to', ...(Array.isArray(e['to']) ? [j] : [])],
        });
      });
    });
  }
  return out;
}
