// Strategic merge patch for built-in kinds, as kubectl's client-side apply sends it: lists of
// containers, volumes, env, ports, volumeMounts… merge by their key; `$patch: delete|replace`,
// `$retainKeys`, `$deleteFromPrimitiveList/…` and `$setElementOrder/…` directives. Merge keys are
// chosen by field name (and, for `ports`, by the key the items carry) rather than from OpenAPI.

const isObj = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

const MERGE_KEYS: Record<string, string> = {
  containers: 'name',
  initContainers: 'name',
  ephemeralContainers: 'name',
  volumes: 'name',
  env: 'name',
  volumeMounts: 'mountPath',
  volumeDevices: 'devicePath',
  imagePullSecrets: 'name',
  conditions: 'type',
  hostAliases: 'ip',
  topologySpreadConstraints: 'topologyKey',
  ownerReferences: 'uid',
  resourceClaims: 'name',
};

/** Primitive lists whose patch strategy is merge (a set). */
const MERGED_PRIMITIVES = new Set(['finalizers']);

function mergeKey(field: string, items: unknown[]): string | undefined {
  if (field === 'ports')
    return items.some((i) => isObj(i) && 'containerPort' in i) ? 'containerPort' : 'port';
  return MERGE_KEYS[field];
}

function mergeList(field: string, cur: unknown, patch: unknown[], order: unknown[] | undefined): unknown[] {
  const base = Array.isArray(cur) ? cur : [];
  if (MERGED_PRIMITIVES.has(field) && patch.every((p) => !isObj(p))) {
    return [...base, ...patch.filter((p) => !base.includes(p))];
  }
  const key = mergeKey(field, [...base, ...patch]);
  if (key === undefined) return patch.filter((p) => !(isObj(p) && p.$patch !== undefined));
  if (patch.some((p) => isObj(p) && p.$patch === 'replace')) {
    return patch.filter((p) => !(isObj(p) && p.$patch === 'replace'));
  }
  const out = base.map((b) => structuredClone(b));
  for (const item of patch) {
    if (!isObj(item)) continue;
    const i = out.findIndex((o) => isObj(o) && o[key] === item[key]);
    if (item.$patch === 'delete') {
      if (i >= 0) out.splice(i, 1);
    } else if (i >= 0) out[i] = mergeMap(out[i], item);
    else out.push(mergeMap({}, item));
  }
  if (order) {
    const rank = (o: unknown) => {
      const r = order.findIndex((x) => isObj(x) && isObj(o) && x[key] === o[key]);
      return r < 0 ? order.length : r;
    };
    out.sort((a, b) => rank(a) - rank(b));
  }
  return out;
}

function mergeMap(target: unknown, patch: Record<string, unknown>): unknown {
  if (patch.$patch === 'delete') return undefined;
  if (patch.$patch === 'replace') {
    const { $patch: _, ...rest } = patch;
    return structuredClone(rest);
  }
  const out: Record<string, unknown> = isObj(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (k.startsWith('$deleteFromPrimitiveList/')) {
      const f = k.slice('$deleteFromPrimitiveList/'.length);
      if (Array.isArray(out[f])) out[f] = (out[f] as unknown[]).filter((x) => !(v as unknown[]).includes(x));
      continue;
    }
    if (k.startsWith('$')) continue;
    if (v === null) delete out[k];
    else if (Array.isArray(v))
      out[k] = mergeList(k, out[k], v, patch[`$setElementOrder/${k}`] as unknown[] | undefined);
    else if (isObj(v)) {
      const merged = mergeMap(out[k], v);
      if (merged === undefined) delete out[k];
      else out[k] = merged;
    } else out[k] = v;
  }
  if (Array.isArray(patch.$retainKeys)) {
    for (const k of Object.keys(out)) if (!(patch.$retainKeys as string[]).includes(k)) delete out[k];
  }
  return out;
}

export function strategicMergePatch(target: unknown, patch: unknown): unknown {
  if (!isObj(patch)) return patch;
  return mergeMap(target, patch) ?? {};
}
