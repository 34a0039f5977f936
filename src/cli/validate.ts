// `trunkline validate -f FILE…`: the manifests a user is about to apply, checked by the admission
// webhook's own handlers (which run the plugins' loadConf and the IPAM's pool rules) against the
// world they would land in, plus the pool selection a NIC of each network would make. Reads only.

import { existsSync } from 'node:fs';
import type { Manifests } from '../cluster/local/manifests.js';
import { DEFAULT_MANIFEST_DIR, LocalSource } from '../cluster/local/source.js';
import { errorText } from '../cni/errors.js';
import { HANDLERS } from '../webhook/index.js';
import type { AdmissionRequest, WebhookContext } from '../webhook/review.js';
import { parseCommand, usageError } from './args.js';
import { summarizeNad } from './nad-summary.js';

export const VALIDATE_SPEC = {
  name: 'trunkline validate',
  usage: `usage: trunkline validate -f FILE [-f FILE ...] [--manifest-dir DIR] [--json]

Checks the SpiderIPPools, SpiderReservedIPs, NetworkAttachmentDefinitions and Pods in the files (YAML
or JSON, multi-document, kind: List; a directory is read recursively) with the rules the admission
webhook and the plugins apply: pool ranges, gateway, overlaps with every other pool; reserved IPs;
each NAD's CNI config through the plugins' own configuration checks and the pools its IPAM would
use; pods' networks and ippool annotations against the NADs and pools. Objects in --manifest-dir
(what is already there; not checked itself) take part in lookups and overlap checks. Nothing is
written anywhere. Other kinds are ignored.

options:
  -f, --file FILE      a manifest file or directory (repeatable)
  --manifest-dir DIR   existing manifests to check against (e.g. ${DEFAULT_MANIFEST_DIR})
  --json               machine-readable output

exit status: 0 every object is valid; 1 an object is invalid, or a file cannot be read or parsed
(file:line:column); 2 usage error.
`,
  options: {
    file: { type: 'string', short: 'f', multiple: true },
    'manifest-dir': { type: 'string' },
    json: { type: 'boolean' },
  },
} as const;

interface Checked {
  file: string;
  kind: string;
  name: string;
  problems: string[];
}

type Kind = { group: string; version: string; kind: string; resource: string };
const KINDS: Record<string, Kind> = {
  SpiderIPPool: {
    group: 'spiderpool.spidernet.io',
    version: 'v2beta1',
    kind: 'SpiderIPPool',
    resource: 'spiderippools',
  },
  SpiderReservedIP: {
    group: 'spiderpool.spidernet.io',
    version: 'v2beta1',
    kind: 'SpiderReservedIP',
    resource: 'spiderreservedips',
  },
  NetworkAttachmentDefinition: {
    group: 'k8s.cni.cncf.io',
    version: 'v1',
    kind: 'NetworkAttachmentDefinition',
    resource: 'network-attachment-definitions',
  },
  Pod: { group: '', version: 'v1', kind: 'Pod', resource: 'pods' },
};

/** The object as the webhook would receive it on create. */
function review(kind: Kind, object: { metadata: { name: string; namespace?: string } }): AdmissionRequest {
  const ns = object.metadata.namespace || undefined;
  return {
    uid: 'trunkline-validate',
    kind: { group: kind.group, version: kind.version, kind: kind.kind },
    resource: { group: kind.group, version: kind.version, resource: kind.resource },
    name: object.metadata.name,
    ...(ns !== undefined ? { namespace: ns } : {}),
    operation: 'CREATE',
    object: object as unknown as Record<string, unknown>,
  };
}

async function check(mine: Manifests, ctx: WebhookContext, world: Manifests): Promise<Checked[]> {
  const objects: (readonly [Kind, { metadata: { name: string; namespace?: string } }, string])[] = [
    ...mine.pools.map((o) => [KINDS.SpiderIPPool!, o, o.metadata.name] as const),
    ...mine.reserved.map((o) => [KINDS.SpiderReservedIP!, o, o.metadata.name] as const),
    ...[...mine.nads.entries()].map(([k, o]) => [KINDS.NetworkAttachmentDefinition!, o, k] as const),
    ...[...mine.pods.entries()].map(([k, o]) => [KINDS.Pod!, o, k] as const),
  ];
  const out: Checked[] = [];
  for (const [kind, object, name] of objects) {
    const handler = HANDLERS.get(`${kind.group}/${kind.kind}`);
    const problems = (await handler?.validate?.(review(kind, object), ctx)) ?? [];
    // What ADD would meet next: the pools the network's IPAM may use (named pools exist, are usable).
    if (kind.kind === 'NetworkAttachmentDefinition' && problems.length === 0) {
      const nad = world.nads.get(name);
      if (nad) problems.push(...summarizeNad(nad, world.pools, world.reserved).problems);
    }
    const file = mine.origins.get(`${kind.kind} ${name}`) ?? '?';
    out.push({ file, kind: kind.kind, name, problems });
  }
  return out.sort((a, b) => a.file.localeCompare(b.file));
}

export async function validateCommand(argv: string[], name: string = VALIDATE_SPEC.name): Promise<number> {
  const spec = { ...VALIDATE_SPEC, name };
  const p = parseCommand(spec, argv);
  if (typeof p === 'number') return p;
  const files = p.values.file ?? [];
  if (files.length === 0) return usageError(name, 'expected at least one -f FILE', spec.usage);
  const context = p.values['manifest-dir'];
  const fail = (msg: string) => {
    process.stderr.write(`${name}: ${msg}\n`);
    return 1;
  };
  // The files alone say what to check; together with the existing manifests, what it is checked against.
  const missing = files.filter((f) => !existsSync(f));
  if (missing.length > 0) return fail(`${missing.join(', ')}: no such file or directory`);
  const mine = new LocalSource({ manifestPaths: files });
  const world = new LocalSource({ manifestPaths: context === undefined ? files : [...files, context] });
  let results: Checked[];
  try {
    const [m, w] = await Promise.all([mine.manifests(), world.manifests()]);
    const ctx: WebhookContext = {
      source: world,
      namespaceIsolation: false,
      nonIsolatedNamespaces: ['default'],
      multusNamespace: 'kube-system',
    };
    results = await check(m, ctx, w);
  } catch (e) {
    return fail(errorText(e));
  }
  const invalid = results.filter((r) => r.problems.length > 0);
  if (p.values.json)
    process.stdout.write(`${JSON.stringify({ valid: invalid.length === 0, objects: results }, null, 2)}\n`);
  else {
    for (const r of invalid)
      for (const x of r.problems) process.stdout.write(`${r.file}: ${r.kind} ${r.name}: ${x}\n`);
    process.stdout.write(
      `${results.length} object(s) checked, ${invalid.length === 0 ? 'all valid' : `${invalid.length} invalid`}\n`,
    );
  }
  return invalid.length === 0 ? 0 : 1;
}
