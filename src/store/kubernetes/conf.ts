// The Kubernetes store's config block:
// {"type": "kubernetes", "writes": "batched", "conflictTimeoutMs": 60000, "backoffMs": 10}.
// Where the API server is comes from the cluster source (kubeconfig), not from here.
import { invalidConfig } from '../../cni/errors.js';
import type { KubernetesStoreOptions } from './writer.js';

export interface KubernetesStoreConf extends KubernetesStoreOptions {
  type: 'kubernetes';
}

export function parseKubernetesStoreConf(raw: unknown, where = 'store'): KubernetesStoreConf {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
    throw invalidConfig(`${where} must be an object`);
  const r = raw as Record<string, unknown>;
  if (r['type'] !== 'kubernetes')
    throw invalidConfig(`${where}.type: expected "kubernetes", found ${JSON.stringify(r['type'])}`);
  const out: KubernetesStoreConf = { type: 'kubernetes' };
  const num = (k: 'conflictTimeoutMs' | 'backoffMs' | 'backoffFactor', min: number, integer: boolean) => {
    const v = r[k];
    if (v === undefined) return;
    if (typeof v !== 'number' || !Number.isFinite(v) || v < min || (integer && !Number.isInteger(v)))
      throw invalidConfig(
        `${where}.${k}: expected ${integer ? 'an integer' : 'a number'} >= ${min}, found ${JSON.stringify(v)}`,
      );
    out[k] = v;
  };
  num('conflictTimeoutMs', 1, true);
  num('backoffMs', 0, false);
  num('backoffFactor', 1, false);
  const w = r['writes'];
  if (w !== undefined) {
    if (w !== 'batched' && w !== 'per-allocation')
      throw invalidConfig(
        `${where}.writes: expected "batched" or "per-allocation", found ${JSON.stringify(w)}`,
      );
    out.writes = w;
  }
  return out;
}
