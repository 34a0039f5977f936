// CNI_ARGS: "K=V;K2=V2". Unknown keys are an error unless IgnoreUnknown is true, as in the Go library.

import { invalidEnv } from './errors.js';
import type { CniArgs } from './types.js';

export function parseCniArgs(raw: string): CniArgs {
  const pairs: [string, string][] = [];
  for (const item of raw.split(';')) {
    if (item === '') continue;
    const eq = item.indexOf('=');
    if (eq <= 0)
      throw invalidEnv(`ARGS: invalid pair "${item}"`, 'CNI_ARGS must be KEY=VALUE pairs separated by ";"');
    pairs.push([item.slice(0, eq), item.slice(eq + 1)]);
  }
  const map = new Map(pairs);
  return { raw, pairs, get: (k: string) => map.get(k) };
}

const TRUE = new Set(['1', 'true', 'True', 'TRUE', 't', 'T']);
const FALSE = new Set(['0', 'false', 'False', 'FALSE', 'f', 'F']);

/** Parses a Go-style boolean ("1", "true", …); anything else is an error rather than silently false. */
function parseBool(key: string, value: string): boolean {
  if (TRUE.has(value)) return true;
  if (FALSE.has(value)) return false;
  throw invalidEnv(`ARGS: ${key} must be a boolean, found "${value}"`);
}

/** Throws code 4 for keys the plugin does not understand, unless IgnoreUnknown is set. */
export function assertKnownArgs(args: CniArgs, known: readonly string[]): void {
  const ignore = args.get('IgnoreUnknown');
  if (ignore !== undefined && parseBool('IgnoreUnknown', ignore)) return;
  const allowed = new Set([...known, 'IgnoreUnknown']);
  const unknown = args.pairs.map(([k]) => k).filter((k) => !allowed.has(k));
  if (unknown.length > 0) {
    throw invalidEnv(`ARGS: unknown args ${JSON.stringify(unknown)}`, 'set IgnoreUnknown=1 to ignore them');
  }
}

/** Kubernetes pod identity as kubelet/CRI runtimes pass it. */
export interface PodRef {
  namespace: string;
  name: string;
  uid?: string;
  infraContainerId?: string;
}

export function podRefFromArgs(args: CniArgs): PodRef | undefined {
  const namespace = args.get('K8S_POD_NAMESPACE');
  const name = args.get('K8S_POD_NAME');
  if (!namespace || !name) return undefined;
  const uid = args.get('K8S_POD_UID');
  const infra = args.get('K8S_POD_INFRA_CONTAINER_ID');
  return {
    namespace,
    name,
    ...(uid ? { uid } : {}),
    ...(infra ? { infraContainerId: infra } : {}),
  };
}
