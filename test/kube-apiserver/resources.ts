// The resource types a test API server serves: a process-wide table of built-in kinds that other
// files extend with registerBuiltin(), copied into each server's Registry, which CRDs then extend
// and shrink at run time.

export interface PrinterColumn {
  name: string;
  type: string;
  jsonPath: string;
  description?: string;
  format?: string;
  /** 0 shows always; higher only with `-o wide` (kubectl's convention). */
  priority?: number;
  /** Built-in kinds only: a cell computed from the object instead of jsonPath. */
  value?: (obj: Record<string, unknown>) => unknown;
}

export interface ResourceType {
  group: string; // '' for core
  version: string;
  plural: string;
  kind: string;
  namespaced: boolean;
  /** Has a /status subresource: the main endpoint ignores status, /status ignores the rest. */
  status: boolean;
  /** Core pods: metadata changes are kept through /status (Multus writes annotations that way). */
  statusKeepsMetadata?: boolean;
  shortNames?: string[];
  singular?: string;
  categories?: string[];
  /** Columns of `kubectl get` (Table responses) beyond NAME and AGE. */
  columns?: PrinterColumn[];
  /** Served from a CustomResourceDefinition (merge patch only; schema validation). */
  crd?: boolean;
}

const builtins: ResourceType[] = [];

/** Adds a built-in kind to every test API server started afterwards. */
export function registerBuiltin(...types: ResourceType[]): void {
  for (const t of types) {
    const i = builtins.findIndex((b) => sameResource(b, t));
    if (i >= 0) builtins[i] = t;
    else builtins.push(t);
  }
}

const sameResource = (a: ResourceType, b: ResourceType) =>
  a.group === b.group && a.version === b.version && a.plural === b.plural;

export const apiVersionOf = (r: { group: string; version: string }) =>
  r.group === '' ? r.version : `${r.group}/${r.version}`;

export const singularOf = (r: ResourceType) => r.singular ?? r.kind.toLowerCase();

/** "pods" or "spiderippools.spiderpool.spidernet.io": how messages name a resource. */
export const qualifiedName = (r: ResourceType) => (r.group === '' ? r.plural : `${r.plural}.${r.group}`);

export class Registry {
  readonly types: ResourceType[] = builtins.map((b) => ({ ...b }));

  add(t: ResourceType): void {
    const i = this.types.findIndex((b) => sameResource(b, t));
    if (i >= 0) this.types[i] = t;
    else this.types.push(t);
  }

  remove(group: string, plural: string): void {
    for (let i = this.types.length - 1; i >= 0; i--) {
      const t = this.types[i]!;
      if (t.group === group && t.plural === plural) this.types.splice(i, 1);
    }
  }

  byKind(apiVersion: string, kind: string): ResourceType | undefined {
    return this.types.find((r) => apiVersionOf(r) === apiVersion && r.kind === kind);
  }

  byPlural(group: string, version: string, plural: string): ResourceType | undefined {
    return this.types.find((r) => r.group === group && r.version === version && r.plural === plural);
  }
}
