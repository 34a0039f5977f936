// The SQLite store's rows and prepared statements: how an allocation is stored and read back.
import type BetterSqlite3 from 'better-sqlite3';
import { keyToIp } from './ip.js';
import type { Allocation } from './types.js';

export interface Row {
  ip: string;
  family: number;
  pool: string;
  container_id: string;
  ifname: string;
  network: string | null;
  pod_namespace: string | null;
  pod_name: string | null;
  pod_uid: string | null;
  created_at: string;
}

export function toAllocation(r: Row): Allocation {
  return {
    ip: keyToIp(r.ip),
    family: r.family === 6 ? 6 : 4,
    pool: r.pool,
    containerId: r.container_id,
    ifname: r.ifname,
    ...(r.network !== null ? { network: r.network } : {}),
    ...(r.pod_namespace !== null ? { podNamespace: r.pod_namespace } : {}),
    ...(r.pod_name !== null ? { podName: r.pod_name } : {}),
    ...(r.pod_uid !== null ? { podUid: r.pod_uid } : {}),
    createdAt: r.created_at,
  };
}

/** The statements every operation uses, prepared once per connection. */
export function prepare(db: BetterSqlite3.Database) {
  return {
    held: db.prepare<[string, string, number], Row>(
      'SELECT * FROM allocations WHERE container_id = ? AND ifname = ? AND family = ?',
    ),
    byHolder: db.prepare<[string, string], Row>(
      'SELECT * FROM allocations WHERE container_id = ? AND ifname = ? ORDER BY family',
    ),
    byIp: db.prepare<[string], Row>('SELECT * FROM allocations WHERE ip = ?'),
    insert: db.prepare<
      [
        string,
        number,
        string,
        string,
        string,
        string | null,
        string | null,
        string | null,
        string | null,
        string,
      ]
    >(
      'INSERT OR IGNORE INTO allocations ' +
        '(ip, family, pool, container_id, ifname, network, pod_namespace, pod_name, pod_uid, created_at) ' +
        'VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
    ),
    remove: db.prepare<[string]>('DELETE FROM allocations WHERE ip = ?'),
    all: db.prepare<[], Row>('SELECT * FROM allocations ORDER BY pool, ip'),
    ofPool: db.prepare<[string], Row>('SELECT * FROM allocations WHERE pool = ? ORDER BY ip'),
    touch: db.prepare<[string]>("INSERT OR REPLACE INTO meta (key, value) VALUES ('last_check', ?)"),
  };
}

export type Queries = ReturnType<typeof prepare>;
