// Decoding of the network configuration on stdin: the checks every plugin shares. Plugin-specific
// validation happens in each plugin's loadConf.
import { decodeFailure, invalidConfig } from './errors.js';
import type { NetConf } from './types.js';
import { assertSupported } from './version.js';

export function parseJson(stdin: Buffer | string, what = 'network config'): unknown {
  const text = typeof stdin === 'string' ? stdin : stdin.toString('utf8');
  try {
    return JSON.parse(text);
  } catch (e) {
    throw decodeFailure(`failed to decode ${what}: ${(e as Error).message}`, text.slice(0, 200));
  }
}

/** The shared part of every config. A missing cniVersion means 0.1.0, as in the Go library. */
export function parseNetConf(stdin: Buffer | string): NetConf {
  const raw = parseJson(stdin);
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw decodeFailure('failed to decode network config: expected a JSON object');
  }
  const o = raw as Record<string, unknown>;
  const version = o['cniVersion'] ?? '0.1.0';
  if (typeof version !== 'string') throw decodeFailure('"cniVersion" must be a string');
  assertSupported(version);
  for (const k of ['name', 'type'] as const) {
    if (o[k] !== undefined && typeof o[k] !== 'string')
      throw invalidConfig(`"${k}" must be a string, found ${typeof o[k]}`);
  }
  if (o['ipam'] !== undefined) {
    const ipam = o['ipam'];
    if (ipam === null || typeof ipam !== 'object' || Array.isArray(ipam))
      throw invalidConfig('"ipam" must be an object');
  }
  return {
    ...o,
    cniVersion: version,
    name: (o['name'] as string) ?? '',
    type: (o['type'] as string) ?? '',
  } as NetConf;
}
