// `trunkline pools release IP` and `trunkline pools gc [--dry-run]`: an operator cleaning up by hand.
// Both write only through the store's own transactional release (SQLite: one IMMEDIATE transaction
// per holder), so an ADD running at the same time either commits before and is seen, or after and is
// untouched; neither ever releases an allocation younger than the IP GC's in-flight grace.

import { existsSync } from 'node:fs';
import { dirname } from 'node:path';
import { loadClients } from '../cluster/kubernetes/client.js';
import { errorText } from '../cni/errors.js';
import { kubeClusterView } from '../gc/kube-view.js';
import { collect } from '../gc/scan.js';
import { DEFAULT_POLICY } from '../gc/types.js';
import { DEFAULT_DB_PATH, SqliteStore } from '../store/sqlite.js';
import type { Allocation, AllocationStore } from '../store/types.js';
import { parseCommand } from './args.js';
import { missingPrivilege } from './privilege.js';

const STORE_OPTIONS = { db: { type: 'string' }, json: { type: 'boolean' } } as const;

export const RELEASE_SPEC = {
  name: 'trunkline pools release',
  usage: `usage: trunkline pools release IP [--db PATH] [--force] [--json]

Releases the attachment holding IP (every family it holds: one CNI attachment is one holder) in
the allocation store (default ${DEFAULT_DB_PATH}). An allocation younger than ${DEFAULT_POLICY.inflightGraceMs / 1000} s may be an
ADD still running: refused unless --force.
exit status: 0 released; 1 IP not allocated, too young, or the store is missing; 2 usage error.
`,
  options: { ...STORE_OPTIONS, force: { type: 'boolean' } },
  positionals: true,
} as const;

export const GC_SPEC = {
  name: 'trunkline pools gc',
  usage: `usage: trunkline pools gc [--kubeconfig FILE] [--db PATH] [--dry-run] [--json]

One pass of the IP garbage collection the node agent and the controller run (same rules: pod gone,
UID changed, completed, terminating past its grace, node gone or NotReady; nothing younger than
${DEFAULT_POLICY.inflightGraceMs / 1000} s), against the cluster of --kubeconfig (default: in-cluster). --dry-run lists what would go.
exit status: 0 done; 1 the store or the cluster could not be read; 2 usage error.
`,
  options: { ...STORE_OPTIONS, kubeconfig: { type: 'string' }, 'dry-run': { type: 'boolean' } },
} as const;

const fail = (cmd: string, msg: string): number => {
  process.stderr.write(`trunkline pools ${cmd}: ${msg}\n`);
  return 1;
};

const holderOf = (a: Allocation) =>
  `${a.podNamespace && a.podName ? `${a.podNamespace}/${a.podName}` : '-'} container ${a.containerId} ${a.ifname}`;

async function withStore<T>(db: string, f: (s: SqliteStore) => Promise<T>): Promise<T> {
  const store = new SqliteStore({ path: db });
  try {
    return await f(store);
  } finally {
    await store.close();
  }
}

export async function releaseCommand(argv: string[]): Promise<number> {
  const p = parseCommand(RELEASE_SPEC, argv);
  if (typeof p === 'number') return p;
  const [ip, ...extra] = p.positionals;
  if (ip === undefined || extra.length > 0) {
    process.stderr.write(
      `trunkline pools release: expected one IP, found ${p.positionals.length}\n${RELEASE_SPEC.usage}`,
    );
    return 2;
  }
  const db = p.values.db ?? DEFAULT_DB_PATH;
  if (!existsSync(db)) return fail('release', `${db}: no such allocation store`);
  const missing = missingPrivilege({ writes: [db, dirname(db)] });
  if (missing !== undefined) return fail('release', missing);
  return withStore(db, async (store) => {
    const held = (await store.list()).find((a) => a.ip === ip);
    if (held === undefined) return fail('release', `${ip} is not allocated in ${db}`);
    const ageMs = Date.now() - Date.parse(held.createdAt);
    if (ageMs < DEFAULT_POLICY.inflightGraceMs && p.values.force !== true)
      return fail(
        'release',
        `${ip} was allocated ${Math.round(ageMs / 1000)} s ago to ${holderOf(held)}: its ADD may still be running (--force releases it anyway)`,
      );
    const released = await store.release({ containerId: held.containerId, ifname: held.ifname });
    if (p.values.json) process.stdout.write(`${JSON.stringify({ released }, null, 2)}\n`);
    else
      for (const a of released) process.stdout.write(`released ${a.ip} (pool ${a.pool}) of ${holderOf(a)}\n`);
    // Empty: the holder's DEL won the race; the address is free either way.
    if (released.length === 0) process.stderr.write(`trunkline pools release: ${ip} was already released\n`);
    return 0;
  });
}

/** The store as collect() sees it in a dry run: every release reports what it would take, takes nothing. */
function dryRun(store: AllocationStore): AllocationStore {
  return {
    description: store.description,
    open: () => store.open(),
    close: () => store.close(),
    allocate: () => Promise.reject(new Error('dry run: no allocation')),
    get: (k) => store.get(k),
    release: (k) => store.get(k),
    list: (pool) => store.list(pool),
    releaseAllExcept: async () => [],
    check: () => store.check(),
  };
}

export async function gcCommand(argv: string[]): Promise<number> {
  const p = parseCommand(GC_SPEC, argv);
  if (typeof p === 'number') return p;
  const db = p.values.db ?? DEFAULT_DB_PATH;
  if (!existsSync(db)) return fail('gc', `${db}: no such allocation store`);
  const missing = p.values['dry-run'] ? undefined : missingPrivilege({ writes: [db, dirname(db)] });
  if (missing !== undefined) return fail('gc', missing);
  let view: Awaited<ReturnType<typeof kubeClusterView>>;
  try {
    view = await kubeClusterView(await loadClients(p.values.kubeconfig));
  } catch (e) {
    return fail(
      'gc',
      `cannot read the cluster${p.values.kubeconfig ? ` of ${p.values.kubeconfig}` : ''}: ${errorText(e)}`,
    );
  }
  const dry = p.values['dry-run'] === true;
  return withStore(db, async (store) => {
    const r = await collect(dry ? dryRun(store) : store, view, DEFAULT_POLICY, Date.now());
    if (p.values.json) process.stdout.write(`${JSON.stringify({ dryRun: dry, ...r }, null, 2)}\n`);
    else {
      for (const a of r.released)
        process.stdout.write(
          `${dry ? 'would release' : 'released'} ${a.ip} (pool ${a.pool}) of ${holderOf(a)}: ${a.reason}\n`,
        );
      process.stdout.write(
        `${r.scanned} allocations scanned, ${r.released.length} ${dry ? 'to release' : 'released'}\n`,
      );
    }
    return 0;
  });
}
