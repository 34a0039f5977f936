// `trunkline host apply|show`: declarative bonds, VLANs and mac-vlans on this host (nmstate subset).

import { readFile } from 'node:fs/promises';
import { stringify } from 'yaml';
import { errorText } from '../cni/errors.js';
import { applyHostConfig } from '../hostnet/apply.js';
import { HostApplyError, HostConfigError } from '../hostnet/errors.js';
import { parseHostConfig } from '../hostnet/parse.js';
import { plan } from '../hostnet/plan.js';
import { readState, toNmstate } from '../hostnet/state.js';
import { resolveTarget } from '../hostnet/target.js';
import type { HostConfig } from '../hostnet/types.js';
import { defaultKernel } from '../kernel/index.js';
import { type ArgsOf, parseCommand, usageError } from './args.js';
import { missingPrivilege } from './privilege.js';

const USAGE = `usage:
  trunkline host apply -f FILE [--dry-run] [--probe-gw IP] [--probe-timeout SECONDS] [--netns PATH] [--json]
  trunkline host show [--json] [--netns PATH]

apply: checkpoint, apply, verify (desired state is a subset of the result), optionally ping a
gateway; on any failure the previous state is restored. FILE is YAML/JSON ('-' = stdin) with
\`interfaces\` of type bond, vlan, mac-vlan or ethernet (nmstate schema). --dry-run prints the
plan (the steps apply would take from the current state) and changes nothing.
exit status: 0 applied (or nothing to do), 1 failed and rolled back, 2 usage or invalid config,
3 failed and the rollback did not restore everything.
`;

const APPLY = {
  name: 'trunkline host apply',
  usage: USAGE,
  options: {
    file: { type: 'string', short: 'f' },
    'probe-gw': { type: 'string' },
    'probe-timeout': { type: 'string' },
    'dry-run': { type: 'boolean' },
    netns: { type: 'string' },
    json: { type: 'boolean' },
  },
} as const;
const SHOW = {
  name: 'trunkline host show',
  usage: USAGE,
  options: { netns: { type: 'string' }, json: { type: 'boolean' } },
} as const;
export const HOST_SPECS = [{ name: 'trunkline host', usage: USAGE, options: {} }, APPLY, SHOW];

const out = (s: string) => process.stdout.write(s.endsWith('\n') ? s : `${s}\n`);
const err = (s: string) => process.stderr.write(s.endsWith('\n') ? s : `${s}\n`);

export async function hostCommand(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === 'show' || sub === 'apply') {
    if (sub === 'show') {
      const p = parseCommand(SHOW, rest);
      return typeof p === 'number' ? p : show(p.values.netns ?? null, p.values.json === true);
    }
    const p = parseCommand(APPLY, rest);
    return typeof p === 'number' ? p : apply(p.values.netns ?? null, p.values);
  }
  if (sub === 'help') {
    out(USAGE);
    return 0;
  }
  if (sub === undefined) return usageError('trunkline host', 'missing subcommand (apply or show)', USAGE);
  if (sub.startsWith('-')) {
    const p = parseCommand(HOST_SPECS[0]!, argv);
    if (typeof p === 'number') return p;
  }
  return usageError('trunkline host', `unknown subcommand "${sub}" (expected apply or show)`, USAGE);
}

async function show(ns: string | null, json: boolean): Promise<number> {
  try {
    const doc = toNmstate(await readState(defaultKernel(), ns));
    out(json ? JSON.stringify(doc, null, 2) : stringify(doc));
    return 0;
  } catch (e) {
    err(`trunkline host show: ${errorText(e)}`);
    return 1;
  }
}

async function apply(ns: string | null, v: ArgsOf<typeof APPLY.options>): Promise<number> {
  const file = v.file;
  if (typeof file !== 'string') {
    err(`trunkline host apply: -f FILE is required\n${USAGE}`);
    return 2;
  }
  const gw = v['probe-gw'];
  const timeoutS = Number(v['probe-timeout'] ?? 10);
  if (!(timeoutS > 0 && timeoutS <= 600)) {
    err(
      `trunkline host apply: --probe-timeout: expected seconds between 0 and 600, found ${v['probe-timeout']}`,
    );
    return 2;
  }
  const json = v.json === true;
  try {
    const text = file === '-' ? await readStdin() : await readFile(file, 'utf8');
    const config = parseHostConfig(text);
    if (v['dry-run'] === true) return await dryRun(ns, config, json);
    const missing = missingPrivilege({ netAdmin: true });
    if (missing !== undefined) {
      err(`trunkline host apply: ${missing}; nothing was changed`);
      return 1;
    }
    const report = await applyHostConfig(defaultKernel(), config, {
      ns,
      ...(typeof gw === 'string' ? { probe: { gateway: gw, timeoutMs: timeoutS * 1000 } } : {}),
      ...(json ? {} : { log: (line: string) => out(`  ${line}`) }),
    });
    if (json) out(JSON.stringify(report, null, 2));
    else if (!report.changed) out('host apply: no changes (the host already matches)');
    else
      out(
        `host apply: ${report.steps.length} step(s) applied and verified${report.probe ? `, ${report.probe.gateway} answered` : ''}`,
      );
    return 0;
  } catch (e) {
    if (e instanceof HostConfigError) {
      err(`trunkline host apply: ${errorText(e)}`);
      return 2;
    }
    if (e instanceof HostApplyError) {
      if (json) out(JSON.stringify({ error: e.message, ...e.report }, null, 2));
      err(`trunkline host apply: ${errorText(e)}`);
      return e.report.rollbackComplete ? 1 : 3;
    }
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'EACCES') {
      err(`trunkline host apply: cannot read ${file}: ${errorText(e)}`);
      return 2;
    }
    // Failed before changing anything (e.g. the namespace does not exist).
    err(`trunkline host apply: ${errorText(e)}`);
    return 1;
  }
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** The plan apply would start with; reading the state needs no privilege, and nothing is written. */
async function dryRun(ns: string | null, config: HostConfig, json: boolean): Promise<number> {
  const current = await readState(defaultKernel(), ns);
  const { state, scope } = resolveTarget(current, config);
  const steps = plan(current, state, scope).map((s) => s.what);
  if (json) out(JSON.stringify({ dryRun: true, steps }, null, 2));
  else if (steps.length === 0) out('host apply --dry-run: no changes (the host already matches)');
  else
    out(
      `host apply --dry-run: ${steps.length} step(s), nothing changed:\n${steps.map((s) => `  ${s}`).join('\n')}`,
    );
  return 0;
}
