// `trunkline pools`: every SpiderIPPool with total/usable/allocated/free, validation problems, and who
// holds which address; --json gives the same plus Spiderpool's status block per pool.

import { existsSync, readFileSync } from 'node:fs';
import { DEFAULT_MANIFEST_DIR, LocalSource } from '../cluster/local/source.js';
import type { SpiderIPPool } from '../cluster/types.js';
import { errorText } from '../cni/errors.js';
import { type PoolUsage, poolStatus, poolUsage } from '../ipam/status.js';
import { formatIssue, validatePools } from '../ipam/validate.js';
import { DEFAULT_DB_PATH, SqliteStore } from '../store/sqlite.js';
import type { Allocation } from '../store/types.js';
import { parseCommand } from './args.js';
import { GC_SPEC, gcCommand, RELEASE_SPEC, releaseCommand } from './pools-admin.js';
import { table } from './table.js';

const HELP = `usage: trunkline pools [options] [pool ...]
       trunkline pools release IP [--db PATH] [--force] [--json]
       trunkline pools gc [--kubeconfig FILE] [--db PATH] [--dry-run] [--json]

Shows each IP pool: total (Spiderpool's totalIPCount), usable (minus reserved, gateway, network and
broadcast), allocated, free, and every holder.

options:
  --manifest-dir DIR   manifests to read pools from (default ${DEFAULT_MANIFEST_DIR})
  --db PATH            allocation store (default ${DEFAULT_DB_PATH})
  --conf FILE          take --manifest-dir and --db from a CNI config or conflist: the trunkline-ipam
                       section's manifestDir and store.path, or the meta plugin's source.manifestDir
  --json               machine-readable output

exit status: 0 shown; 1 a named pool does not exist, the store given does not exist, or the
manifests cannot be read (file:line:column and the problem); 2 usage error.
`;

type Out = (s: string) => void;

function fromConf(file: string): { manifestDir?: string; db?: string } {
  const found: { manifestDir?: string; db?: string } = {};
  const visit = (v: unknown): void => {
    if (typeof v !== 'object' || v === null || found.db !== undefined) return;
    const o = v as Record<string, unknown>;
    // The meta plugin (`type: trunkline`) names the manifest dir in its local source.
    const source =
      o['type'] === 'trunkline' ? (o['source'] as Record<string, unknown> | undefined) : undefined;
    if (typeof source?.['manifestDir'] === 'string') found.manifestDir = source['manifestDir'];
    if (o['type'] === 'trunkline-ipam') {
      if (typeof o['manifestDir'] === 'string') found.manifestDir = o['manifestDir'];
      const store = o['store'] as Record<string, unknown> | undefined;
      if (typeof store?.['path'] === 'string') found.db = store['path'];
      return;
    }
    for (const child of Object.values(o)) visit(child);
  };
  visit(JSON.parse(readFileSync(file, 'utf8')));
  return found;
}

function holderLine(a: Allocation): string {
  const pod = a.podNamespace && a.podName ? `${a.podNamespace}/${a.podName}` : '-';
  return `  ${a.ip.padEnd(16)} ${pod.padEnd(28)} container ${a.containerId} ${a.ifname}${a.network ? ` net ${a.network}` : ''} since ${a.createdAt}`;
}

const SPEC = {
  name: 'trunkline pools',
  usage: HELP,
  options: {
    'manifest-dir': { type: 'string' },
    db: { type: 'string' },
    conf: { type: 'string' },
    json: { type: 'boolean' },
  },
  positionals: true,
} as const;
export const POOLS_SPECS = [SPEC, RELEASE_SPEC, GC_SPEC];

const fail = (msg: string): number => {
  process.stderr.write(`trunkline pools: ${msg}\n`);
  return 1;
};

/** `out` receives the report (stdout by default); the return value is the exit code. */
export async function poolsCommand(
  argv: string[],
  out: Out = (s) => process.stdout.write(s),
): Promise<number> {
  if (argv[0] === 'release') return releaseCommand(argv.slice(1));
  if (argv[0] === 'gc') return gcCommand(argv.slice(1));
  const opts = parseCommand(SPEC, argv);
  if (typeof opts === 'number') return opts;
  let conf: ReturnType<typeof fromConf> = {};
  if (opts.values.conf !== undefined) {
    try {
      conf = fromConf(opts.values.conf);
    } catch (e) {
      return fail(`--conf ${opts.values.conf}: expected a CNI config or conflist (JSON): ${errorText(e)}`);
    }
  }
  const manifestDir = opts.values['manifest-dir'] ?? conf.manifestDir ?? DEFAULT_MANIFEST_DIR;
  const givenDb = opts.values.db ?? conf.db;
  const db = givenDb ?? DEFAULT_DB_PATH;
  // A store named by the operator must exist: reading a wrong path would show every address free.
  if (givenDb !== undefined && !existsSync(givenDb)) return fail(`--db ${givenDb}: no such allocation store`);

  const source = new LocalSource({ manifestDir });
  let pools: SpiderIPPool[];
  let reserved: Awaited<ReturnType<LocalSource['listReservedIPs']>>;
  try {
    [pools, reserved] = await Promise.all([source.listIPPools(), source.listReservedIPs()]);
  } catch (e) {
    return fail(errorText(e));
  }
  const missing = opts.positionals.filter((n) => !pools.some((p) => p.metadata.name === n));
  if (missing.length > 0) return fail(`no pool named ${missing.join(', ')} in ${manifestDir}`);
  let allocations: Allocation[] = [];
  // Only reading: the default store missing means nothing was allocated yet, and is not created here.
  if (existsSync(db)) {
    const store = new SqliteStore({ path: db });
    try {
      allocations = await store.list();
    } finally {
      await store.close();
    }
  }
  const wanted = new Set(opts.positionals);
  const shown = pools.filter((p) => wanted.size === 0 || wanted.has(p.metadata.name));
  const issues = validatePools(pools);
  const known = new Set(pools.map((p) => p.metadata.name));
  const orphans = allocations.filter((a) => !known.has(a.pool) && (wanted.size === 0 || wanted.has(a.pool)));

  const usageOf = (p: SpiderIPPool): PoolUsage | undefined => {
    try {
      return poolUsage(p, reserved, allocations);
    } catch {
      return undefined; // unparseable pool: its validation issues say why
    }
  };

  if (opts.values.json) {
    const doc = {
      manifestDir,
      store: db,
      pools: shown.map((p) => {
        const u = usageOf(p);
        return {
          name: p.metadata.name,
          subnet: p.spec.subnet,
          default: p.spec.default === true,
          disable: p.spec.disable === true,
          issues: (issues.get(p.metadata.name) ?? []).map(formatIssue),
          ...(u !== undefined
            ? {
                family: u.family,
                total: u.total.toString(),
                usable: u.usable.toString(),
                allocated: u.allocated,
                free: u.free.toString(),
                status: poolStatus(p, reserved, allocations),
                holders: u.holders,
              }
            : {}),
        };
      }),
      unknownPoolAllocations: orphans,
    };
    out(`${JSON.stringify(doc, null, 2)}\n`);
    return 0;
  }

  const rows = [['POOL', 'IPV', 'SUBNET', 'TOTAL', 'USABLE', 'ALLOCATED', 'FREE', 'FLAGS']];
  for (const p of shown) {
    const u = usageOf(p);
    const flags = [
      p.spec.default ? 'default' : '',
      p.spec.disable ? 'disabled' : '',
      issues.has(p.metadata.name) ? 'INVALID' : '',
    ]
      .filter(Boolean)
      .join(',');
    rows.push([
      p.metadata.name,
      u ? String(u.family) : '?',
      String(p.spec.subnet),
      u ? u.total.toString() : '-',
      u ? u.usable.toString() : '-',
      u ? String(u.allocated) : '-',
      u ? u.free.toString() : '-',
      flags,
    ]);
  }
  out(`${table(rows)}\n`);
  for (const p of shown) {
    const u = usageOf(p);
    const problems = issues.get(p.metadata.name) ?? [];
    if ((u?.holders.length ?? 0) === 0 && problems.length === 0) continue;
    out(`\n${p.metadata.name}:\n`);
    for (const i of problems) out(`  ! ${formatIssue(i)}\n`);
    for (const a of u?.holders ?? []) out(`${holderLine(a)}\n`);
  }
  if (orphans.length > 0) {
    out('\nallocations in pools that no longer exist:\n');
    for (const a of orphans) out(`${holderLine(a)} (pool ${a.pool})\n`);
  }
  if (shown.length === 0) out(`no pools in ${manifestDir}\n`);
  return 0;
}
