// The etcd store's config block: {"type": "etcd", "endpoints": ["http://10.0.0.1:2379"],
// "prefix": "/trunkline/ipam/", "timeoutMs": 5000}. Validated before anything connects.
import { invalidConfig } from '../../cni/errors.js';
import { DEFAULT_PREFIX } from './keys.js';

export interface EtcdStoreConf {
  type: 'etcd';
  /** Client URLs (http or https), tried in order. */
  endpoints: string[];
  /** Key prefix; several clusters or test runs can share one etcd. Default /trunkline/ipam/. */
  prefix?: string;
  /** Per-request limit in ms (default 5000). */
  timeoutMs?: number;
}

export function parseEtcdConf(raw: unknown, where = 'store'): EtcdStoreConf {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
    throw invalidConfig(`${where} must be an object`);
  const r = raw as Record<string, unknown>;
  if (r['type'] !== 'etcd')
    throw invalidConfig(`${where}.type: expected "etcd", found ${JSON.stringify(r['type'])}`);
  const eps = r['endpoints'];
  if (!Array.isArray(eps) || eps.length === 0)
    throw invalidConfig(
      `${where}.endpoints: expected a non-empty list of URLs, found ${JSON.stringify(eps)}`,
    );
  const endpoints = eps.map((e, i) => {
    let u: URL | undefined;
    try {
      u = typeof e === 'string' ? new URL(e) : undefined;
    } catch {
      u = undefined;
    }
    if (u === undefined || (u.protocol !== 'http:' && u.protocol !== 'https:'))
      throw invalidConfig(
        `${where}.endpoints[${i}]: expected an http(s) URL like "http://127.0.0.1:2379", found ${JSON.stringify(e)}`,
      );
    return e as string;
  });
  const out: EtcdStoreConf = { type: 'etcd', endpoints };
  const prefix = r['prefix'];
  if (prefix !== undefined) {
    if (typeof prefix !== 'string' || !/^\/[\x21-\x7e]*\/$/.test(prefix) || prefix === '/')
      throw invalidConfig(
        `${where}.prefix: expected printable ASCII starting and ending with "/" (e.g. ${JSON.stringify(DEFAULT_PREFIX)}), found ${JSON.stringify(prefix)}`,
      );
    out.prefix = prefix;
  }
  const t = r['timeoutMs'];
  if (t !== undefined) {
    if (typeof t !== 'number' || !Number.isInteger(t) || t <= 0)
      throw invalidConfig(`${where}.timeoutMs: expected a positive integer, found ${JSON.stringify(t)}`);
    out.timeoutMs = t;
  }
  return out;
}
