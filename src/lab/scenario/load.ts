// Reads a scenario file: one `kind: Lab` document plus Kubernetes manifests. Every object keeps its
// origin (file, document, line of each field) so problems can point at the manifest and field.

import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { isNode, LineCounter, parseAllDocuments } from 'yaml';
import { errorText } from '../../cni/errors.js';
import { issueAt, LabScenarioError, type ScenarioIssue } from '../errors.js';
import type { Manifest, Origin, Scenario } from '../types.js';
import { isRec, type Rec } from './fields.js';
import { parseLabSpec } from './spec.js';
import { validateScenario } from './validate.js';

/** Kinds the plugins' local source reads; anything else in a scenario is a mistake worth naming. */
const MANIFEST_KINDS = [
  'Namespace',
  'Pod',
  'NetworkAttachmentDefinition',
  'SpiderIPPool',
  'SpiderReservedIP',
  'Node',
] as const;

const displayPath = (file: string): string => {
  const rel = relative(process.cwd(), file);
  return rel !== '' && !rel.startsWith('..') ? rel : file;
};

/** Parse and validate; throws LabScenarioError listing every problem found. */
export function loadScenario(file: string): Scenario {
  const { scenario, issues } = parseScenario(file, readScenarioText(file));
  if (scenario !== undefined) issues.push(...validateScenario(scenario));
  const unique = [...new Map(issues.map((i) => [`${i.where}|${i.field}|${i.message}`, i])).values()];
  issues.splice(0, issues.length, ...unique);
  if (issues.length > 0 || scenario === undefined) throw new LabScenarioError(displayPath(file), issues);
  return scenario;
}

function readScenarioText(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (e) {
    throw new LabScenarioError(displayPath(file), [
      {
        where: displayPath(file),
        object: 'scenario',
        field: '-',
        message: `cannot read: ${errorText(e)}`,
      },
    ]);
  }
}

export function parseScenario(file: string, text: string): { scenario?: Scenario; issues: ScenarioIssue[] } {
  const shown = displayPath(file);
  const lc = new LineCounter();
  const docs = parseAllDocuments(text, { lineCounter: lc });
  const issues: ScenarioIssue[] = [];
  const manifests: Manifest[] = [];
  let lab: { raw: Rec; origin: Origin } | undefined;
  const lineAt = (offset: number) => lc.linePos(offset).line;
  if (!Array.isArray(docs)) {
    return { issues: [{ where: shown, object: 'scenario', field: '-', message: 'not a YAML stream' }] };
  }
  docs.forEach((doc, i) => {
    const start = lineAt(doc.range[0]);
    const err = doc.errors[0];
    if (err !== undefined) {
      issues.push({
        where: `${shown}:${lineAt(err.pos[0])}`,
        object: `document ${i + 1}`,
        field: '-',
        message: `invalid YAML: ${err.message.split('\n')[0]}`,
      });
      return;
    }
    const js = doc.toJS({ maxAliasCount: 1000 }) as unknown;
    if (js === null || js === undefined) return; // an empty document (e.g. a trailing ---)
    const kind = isRec(js) && typeof js['kind'] === 'string' ? js['kind'] : undefined;
    const meta = isRec(js) && isRec(js['metadata']) ? js['metadata'] : {};
    const name = typeof meta['name'] === 'string' ? meta['name'] : undefined;
    const ns = typeof meta['namespace'] === 'string' ? meta['namespace'] : undefined;
    const namespaced = kind === 'Pod' || kind === 'NetworkAttachmentDefinition';
    const object = `${kind ?? 'object'} ${namespaced ? `${ns ?? 'default'}/` : ''}${name ?? '(no name)'}`;
    const origin: Origin = {
      file: shown,
      doc: i + 1,
      object,
      line: start,
      lineOf: (path) => {
        const node = doc.getIn(path, true);
        return isNode(node) && node.range ? lineAt(node.range[0]) : undefined;
      },
    };
    if (!isRec(js) || kind === undefined) {
      issues.push(
        issueAt(origin, ['kind'], 'every document needs a "kind" (Lab, Pod, NetworkAttachmentDefinition, …)'),
      );
      return;
    }
    if (name === undefined || name === '') {
      issues.push(issueAt(origin, ['metadata', 'name'], 'missing'));
      return;
    }
    if (kind === 'Lab') {
      if (lab !== undefined)
        issues.push(
          issueAt(origin, ['kind'], `a second Lab document (the first is at line ${lab.origin.line})`),
        );
      else lab = { raw: js, origin };
      return;
    }
    if (!(MANIFEST_KINDS as readonly string[]).includes(kind)) {
      issues.push(
        issueAt(
          origin,
          ['kind'],
          `unsupported kind "${kind}" (expected Lab or one of ${MANIFEST_KINDS.join(', ')})`,
        ),
      );
      return;
    }
    const annotations = isRec(meta['annotations'])
      ? (meta['annotations'] as Record<string, string>)
      : undefined;
    const labels = isRec(meta['labels']) ? (meta['labels'] as Record<string, string>) : undefined;
    manifests.push({
      apiVersion: typeof js['apiVersion'] === 'string' ? js['apiVersion'] : '',
      kind,
      metadata: {
        name,
        ...(ns !== undefined ? { namespace: ns } : {}),
        ...(typeof meta['uid'] === 'string' ? { uid: meta['uid'] } : {}),
        ...(annotations !== undefined ? { annotations } : {}),
        ...(labels !== undefined ? { labels } : {}),
      },
      ...(isRec(js['spec']) ? { spec: js['spec'] } : {}),
      raw: js,
      origin,
    });
  });
  if (lab === undefined) {
    issues.push({
      where: shown,
      object: 'scenario',
      field: 'kind',
      message: 'no `kind: Lab` document (switch, nodes, expectations)',
    });
    return { issues };
  }
  const spec = parseLabSpec(lab.raw, lab.origin, issues);
  if (spec === undefined) return { issues };
  // A bare pod name means the (unique) pod of that name, in whatever namespace it is.
  for (const e of spec.expectations) {
    for (const ref of [e.from, e.to]) {
      if (ref.namespace !== '') continue;
      const hit = manifests.filter((m) => m.kind === 'Pod' && m.metadata.name === ref.name);
      ref.namespace = hit.length === 1 ? (hit[0]!.metadata.namespace ?? 'default') : 'default';
    }
  }
  return { scenario: { ...spec, file: shown, manifests, origin: lab.origin }, issues };
}
