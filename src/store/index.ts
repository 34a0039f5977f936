// Store selection from configuration ({"type": "sqlite", "path": ...}). Backends load their heavy
// dependencies in open(), so creating a store costs nothing on the CNI path.
import type { ClusterSource } from '../cluster/types.js';
import { invalidConfig } from '../cni/errors.js';
import { type EtcdStoreConf, etcdStore, parseEtcdConf } from './etcd/index.js';
import { type KubernetesStoreConf, kubernetesStore, parseKubernetesStoreConf } from './kubernetes/index.js';
import { DEFAULT_DB_PATH, SqliteStore, type SqliteStoreOptions } from './sqlite.js';
import type { AllocationStore } from './types.js';

export type StoreConf = SqliteStoreConf | EtcdStoreConf | KubernetesStoreConf;

interface SqliteStoreConf {
  type?: 'sqlite';
  path?: string;
  busyTimeoutMs?: number;
  synchronous?: 'normal' | 'full';
}

/** Validates a store config block (from the IPAM config) before anything is opened. */
export function parseStoreConf(raw: unknown, where = 'store'): StoreConf {
  if (raw === undefined || raw === null) return { type: 'sqlite' };
  if (typeof raw !== 'object' || Array.isArray(raw)) throw invalidConfig(`${where} must be an object`);
  const r = raw as Record<string, unknown>;
  const type = r['type'] ?? 'sqlite';
  if (type === 'etcd') return parseEtcdConf(raw, where);
  if (type === 'kubernetes') return parseKubernetesStoreConf(raw, where);
  if (type !== 'sqlite') {
    throw invalidConfig(
      `${where}.type: expected "sqlite", "etcd" or "kubernetes", found ${JSON.stringify(type)}`,
    );
  }
  const out: SqliteStoreConf = { type };
  if (r['path'] !== undefined) {
    if (typeof r['path'] !== 'string' || r['path'] === '')
      throw invalidConfig(`${where}.path must be a non-empty string`);
    out.path = r['path'];
  }
  if (r['busyTimeoutMs'] !== undefined) {
    const t = r['busyTimeoutMs'];
    if (typeof t !== 'number' || !Number.isInteger(t) || t < 0) {
      throw invalidConfig(`${where}.busyTimeoutMs must be a non-negative integer`);
    }
    out.busyTimeoutMs = t;
  }
  if (r['synchronous'] !== undefined) {
    if (r['synchronous'] !== 'normal' && r['synchronous'] !== 'full') {
      throw invalidConfig(`${where}.synchronous: expected "normal" or "full"`);
    }
    out.synchronous = r['synchronous'];
  }
  return out;
}

/**
 * The Kubernetes store keeps allocations in SpiderIPPool status, so it needs the cluster source.
 * `sqlite`: how the caller's process uses a SQLite store (see SqliteStoreOptions).
 */
export function createStore(
  conf: StoreConf = {},
  source?: ClusterSource,
  sqlite: Pick<SqliteStoreOptions, 'walAutoCheckpoint'> = {},
): AllocationStore {
  if (conf.type === 'etcd') return etcdStore(conf);
  if (conf.type === 'kubernetes') {
    if (!source?.updateIPPoolStatus) {
      throw invalidConfig('ipam.store.type "kubernetes" needs the Kubernetes source: set ipam.kubeconfig');
    }
    return kubernetesStore(source, conf);
  }
  return new SqliteStore({
    path: conf.path ?? DEFAULT_DB_PATH,
    ...(conf.busyTimeoutMs !== undefined ? { busyTimeoutMs: conf.busyTimeoutMs } : {}),
    ...(conf.synchronous !== undefined ? { synchronous: conf.synchronous } : {}),
    ...sqlite,
  });
}
