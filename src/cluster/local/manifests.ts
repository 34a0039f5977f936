// Reads the same YAML users `kubectl apply` (multi-document files, `kind: List`, JSON) from a
// directory tree and indexes the kinds the cluster source serves. Unknown kinds are ignored so a
// directory can hold whole application manifests.
import { readdirSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { assertShallow } from '../../cni/conf.js';
import { Code, causedBy, errorText, invalidConfig } from '../../cni/errors.js';
import type {
  NamespaceInfo,
  NetworkAttachmentDefinition,
  NodeInfo,
  ObjectMeta,
  PodInfo,
  SpiderIPPool,
  SpiderReservedIP,
} from '../types.js';
import { type CacheFile, ManifestCache } from './manifest-cache.js';

export interface Manifests {
  pools: SpiderIPPool[];
  reserved: SpiderReservedIP[];
  namespaces: Map<string, NamespaceInfo>;
  /** Keyed "namespace/name". */
  pods: Map<string, PodInfo>;
  nodes: Map<string, NodeInfo>;
  /** Keyed "namespace/name". */
  nads: Map<string, NetworkAttachmentDefinition>;
  files: string[];
  /** The file each object came from, keyed "Kind name" or "Kind namespace/name". */
  origins: Map<string, string>;
}

const EXT = /\.(ya?ml|json)$/i;

/** Files below `path` (or `path` itself when a file: read whatever its extension), each once. */
function listFiles(path: string, seen: Set<string>): string[] {
  let real: string;
  try {
    real = realpathSync(path);
  } catch {
    return [];
  }
  if (seen.has(real)) return [];
  seen.add(real);
  if (!statSync(real).isDirectory()) return [path];
  const out: string[] = [];
  // Sorted so that which file "wins" an error message is stable; by code unit, as `ls` in the C locale:
  // localeCompare's first call builds an ICU collator, ~5 ms of every plugin process that lists.
  const byName = (a: { name: string }, b: { name: string }) =>
    a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
  for (const ent of readdirSync(path, { withFileTypes: true }).sort(byName)) {
    // Dot entries include Kubernetes' ConfigMap "..data" indirection; their content is reached
    // through the visible symlinks.
    if (ent.name.startsWith('.')) continue;
    const p = join(path, ent.name);
    let isDir = ent.isDirectory();
    let isFile = ent.isFile();
    if (ent.isSymbolicLink()) {
      try {
        const st = statSync(p);
        isDir = st.isDirectory();
        isFile = st.isFile();
      } catch {
        continue;
      }
    }
    if (isDir || (isFile && EXT.test(ent.name))) out.push(...listFiles(p, seen));
  }
  return out;
}

type Obj = {
  apiVersion?: unknown;
  kind?: unknown;
  metadata?: ObjectMeta;
  spec?: Record<string, unknown>;
  items?: unknown;
};

function meta(o: Obj, file: string, namespaced: boolean): ObjectMeta & { namespace: string } {
  const m = o.metadata;
  if (typeof m !== 'object' || m === null || typeof m.name !== 'string' || m.name === '') {
    throw invalidConfig(`${file}: ${String(o.kind)} without metadata.name`);
  }
  return { ...m, namespace: namespaced ? (m.namespace ?? 'default') : '' };
}

const emptyManifests = (): Manifests => ({
  pools: [],
  reserved: [],
  namespaces: new Map(),
  pods: new Map(),
  nodes: new Map(),
  nads: new Map(),
  files: [],
  origins: new Map(),
});

/** Indexes one object read from `file` (a `kind: List` item by item) into `out`. */
function index(out: Manifests, o: Obj, file: string): void {
  if (typeof o !== 'object' || o === null) return;
  if (o.kind === 'List' && Array.isArray(o.items)) {
    for (const item of o.items) index(out, item as Obj, file);
    return;
  }
  const claim = (key: string) => {
    const prev = out.origins.get(key);
    if (prev !== undefined) throw invalidConfig(`${key} is defined twice: in ${prev} and in ${file}`);
    out.origins.set(key, file);
  };
  // Cluster-scoped kinds: claimed by kind and name, kept without a namespace.
  const clusterMeta = (): ObjectMeta => {
    const { namespace: _ns, ...rest } = meta(o, file, false);
    claim(`${String(o.kind)} ${rest.name}`);
    return rest;
  };
  // Namespaced kinds: claimed and keyed by "namespace/name".
  const namespaced = (): [string, ObjectMeta & { namespace: string }] => {
    const m = meta(o, file, true);
    const key = `${m.namespace}/${m.name}`;
    claim(`${String(o.kind)} ${key}`);
    return [key, m];
  };
  switch (o.kind) {
    case 'SpiderIPPool':
      out.pools.push({
        ...(o as unknown as SpiderIPPool),
        metadata: clusterMeta(),
        spec: (o.spec ?? {}) as SpiderIPPool['spec'],
      });
      break;
    case 'SpiderReservedIP':
      out.reserved.push({
        metadata: clusterMeta(),
        spec: (o.spec ?? { ips: [] }) as SpiderReservedIP['spec'],
      });
      break;
    case 'Namespace': {
      const m = clusterMeta();
      out.namespaces.set(m.name, { metadata: m });
      break;
    }
    case 'Node': {
      const m = clusterMeta();
      out.nodes.set(m.name, { metadata: m });
      break;
    }
    case 'Pod': {
      const [key, m] = namespaced();
      const nodeName = o.spec?.['nodeName'];
      out.pods.set(key, { metadata: m, ...(typeof nodeName === 'string' ? { nodeName } : {}) });
      break;
    }
    case 'NetworkAttachmentDefinition': {
      const [key, m] = namespaced();
      const config = o.spec?.['config'];
      out.nads.set(key, { metadata: m, spec: typeof config === 'string' ? { config } : {} });
      break;
    }
  }
}

/** The documents of one manifest file's text, as values. */
function parseDocuments(YAML: typeof import('yaml'), text: string, file: string): unknown[] {
  // The YAML parser recurses per flow level; thousands of levels can exhaust the stack in a way
  // that takes the whole process down (seen inside the regexp compiler), not just throw.
  assertShallow(text, `manifest ${file}`);
  const docs: unknown[] = [];
  for (const doc of YAML.parseAllDocuments(text)) {
    const err = doc.errors[0];
    if (err !== undefined) {
      const at = err.linePos?.[0];
      const where = at ? `${file}:${at.line}:${at.col}` : file;
      throw invalidConfig(`${where}: invalid YAML: ${err.message.split('\n')[0]}`, undefined, {
        cause: err,
      });
    }
    try {
      // An alias to an anchor never set, or one expanding past the library's alias limit, only
      // shows when the document is turned into values.
      docs.push(doc.toJS());
    } catch (e) {
      throw invalidConfig(`${file}: invalid YAML: ${errorText(e).split('\n')[0]}`, undefined, { cause: e });
    }
  }
  return docs;
}

/** Indexes manifest texts (file name → YAML or JSON text) as loadManifests does files. */
export async function parseManifests(texts: ReadonlyMap<string, string>): Promise<Manifests> {
  const YAML = await import('yaml');
  const out = emptyManifests();
  for (const [file, text] of texts) {
    out.files.push(file);
    for (const doc of parseDocuments(YAML, text, file)) index(out, doc as Obj, file);
  }
  return out;
}

/**
 * Reads a directory tree, or several files and trees (each file once, whichever names it first).
 * With `cache`, files unchanged since an earlier read are not parsed again (manifest-cache.ts).
 */
export async function loadManifests(
  paths: string | readonly string[],
  cacheFile?: CacheFile,
): Promise<Manifests> {
  const cache = new ManifestCache(cacheFile);
  const out = emptyManifests();
  const seen = new Set<string>();
  let YAML: typeof import('yaml') | undefined;
  for (const p of typeof paths === 'string' ? [paths] : paths) out.files.push(...listFiles(p, seen));
  for (const file of out.files) {
    let docs = cache.get(file);
    if (docs === undefined) {
      let text: string;
      try {
        text = readFileSync(file, 'utf8');
      } catch (e) {
        throw causedBy(Code.InvalidConfig, `cannot read manifest ${file}`, e);
      }
      YAML ??= await import('yaml');
      docs = parseDocuments(YAML, text, file);
      cache.put(file, docs);
    }
    for (const doc of docs) index(out, doc as Obj, file);
  }
  cache.save();
  return out;
}
