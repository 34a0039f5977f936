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
  // Sorted so that which file "wins" an error message is stable.
  for (const ent of readdirSync(path, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
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

/** Reads a directory tree, or several files and trees (each file once, whichever names it first). */
export async function loadManifests(paths: string | readonly string[]): Promise<Manifests> {
  const YAML = await import('yaml');
  const out: Manifests = {
    pools: [],
    reserved: [],
    namespaces: new Map(),
    pods: new Map(),
    nodes: new Map(),
    nads: new Map(),
    files: [],
    origins: new Map(),
  };
  const seen = new Set<string>();
  for (const p of typeof paths === 'string' ? [paths] : paths) out.files.push(...listFiles(p, seen));
  const origin = out.origins;
  const claim = (key: string, file: string) => {
    const prev = origin.get(key);
    if (prev !== undefined) throw invalidConfig(`${key} is defined twice: in ${prev} and in ${file}`);
    origin.set(key, file);
  };
  const add = (o: Obj, file: string): void => {
    if (typeof o !== 'object' || o === null) return;
    if (o.kind === 'List' && Array.isArray(o.items)) {
      for (const item of o.items) add(item as Obj, file);
      return;
    }
    switch (o.kind) {
      case 'SpiderIPPool': {
        const m = meta(o, file, false);
        claim(`SpiderIPPool ${m.name}`, file);
        const { namespace: _ns, ...rest } = m;
        out.pools.push({
          ...(o as unknown as SpiderIPPool),
          metadata: rest,
          spec: (o.spec ?? {}) as SpiderIPPool['spec'],
        });
        break;
      }
      case 'SpiderReservedIP': {
        const m = meta(o, file, false);
        claim(`SpiderReservedIP ${m.name}`, file);
        const { namespace: _ns, ...rest } = m;
        out.reserved.push({ metadata: rest, spec: (o.spec ?? { ips: [] }) as SpiderReservedIP['spec'] });
        break;
      }
      case 'Namespace': {
        const m = meta(o, file, false);
        claim(`Namespace ${m.name}`, file);
        const { namespace: _ns, ...rest } = m;
        out.namespaces.set(m.name, { metadata: rest });
        break;
      }
      case 'Node': {
        const m = meta(o, file, false);
        claim(`Node ${m.name}`, file);
        const { namespace: _ns, ...rest } = m;
        out.nodes.set(m.name, { metadata: rest });
        break;
      }
      case 'Pod': {
        const m = meta(o, file, true);
        claim(`Pod ${m.namespace}/${m.name}`, file);
        const nodeName = o.spec?.['nodeName'];
        out.pods.set(`${m.namespace}/${m.name}`, {
          metadata: m,
          ...(typeof nodeName === 'string' ? { nodeName } : {}),
        });
        break;
      }
      case 'NetworkAttachmentDefinition': {
        const m = meta(o, file, true);
        claim(`NetworkAttachmentDefinition ${m.namespace}/${m.name}`, file);
        const config = o.spec?.['config'];
        out.nads.set(`${m.namespace}/${m.name}`, {
          metadata: m,
          spec: typeof config === 'string' ? { config } : {},
        });
        break;
      }
    }
  };
  for (const file of out.files) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (e) {
      throw causedBy(Code.InvalidConfig, `cannot read manifest ${file}`, e);
    }
    // The YAML parser recurses per flow level; thousands of levels can exhaust the stack in a way
    // that takes the whole process down (seen inside the regexp compiler), not just throw.
    assertShallow(text, `manifest ${file}`);
    for (const doc of YAML.parseAllDocuments(text)) {
      const err = doc.errors[0];
      if (err !== undefined) {
        const at = err.linePos?.[0];
        const where = at ? `${file}:${at.line}:${at.col}` : file;
        throw invalidConfig(`${where}: invalid YAML: ${err.message.split('\n')[0]}`, undefined, {
          cause: err,
        });
      }
      let obj: Obj;
      try {
        // An alias to an anchor never set, or one expanding past the library's alias limit, only
        // shows when the document is turned into values.
        obj = doc.toJS() as Obj;
      } catch (e) {
        throw invalidConfig(`${file}: invalid YAML: ${errorText(e).split('\n')[0]}`, undefined, { cause: e });
      }
      add(obj, file);
    }
  }
  return out;
}
