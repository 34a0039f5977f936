// ClusterSource over local manifest files: the embedded default when no Kubernetes API is used.
//
// Objects come from <manifestDir> (default /etc/trunkline/, every *.yaml|*.yml|*.json below it),
// read once per LocalSource on first use (call reload() to re-read, e.g. in a long-running agent).
//
// setPodAnnotations cannot edit the user's manifests, so it writes
//   <stateDir>/pods/<namespace>_<name>.json = {"namespace", "name", "uid"?, "annotations": {...}}
// (default stateDir /var/lib/trunkline/), merged into earlier writes, replaced atomically. getPod
// overlays those annotations onto the manifest's, so callers read back what they wrote, as they
// would from the API server. A state file recorded for another pod UID is ignored.
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { checkPodUid } from '../pod.js';
import type {
  ClusterSource,
  NamespaceInfo,
  NetworkAttachmentDefinition,
  NodeInfo,
  PodInfo,
  SpiderIPPool,
  SpiderReservedIP,
} from '../types.js';
import { type CacheFile, ManifestCache } from './manifest-cache.js';
import { loadManifests, type Manifests } from './manifests.js';

export const DEFAULT_MANIFEST_DIR = '/etc/trunkline';
export const DEFAULT_STATE_DIR = '/var/lib/trunkline';

interface LocalSourceOptions {
  manifestDir?: string;
  /** Files and directories read instead of manifestDir (trunkline validate -f FILE…). */
  manifestPaths?: readonly string[];
  stateDir?: string;
  /**
   * Keep the parsed manifests in stateDir for the next process (manifest-cache.ts): for one-shot
   * plugin processes, which would otherwise parse the same YAML on every call.
   */
  cacheParsed?: boolean;
}

interface PodState {
  namespace: string;
  name: string;
  uid?: string;
  annotations: Record<string, string>;
}

export class LocalSource implements ClusterSource {
  readonly manifestDir: string;
  readonly stateDir: string;
  private readonly paths: readonly string[];
  private loaded: Promise<Manifests> | undefined;
  private readonly cacheFile: CacheFile | undefined;

  constructor(opts: LocalSourceOptions = {}) {
    this.manifestDir = opts.manifestDir ?? DEFAULT_MANIFEST_DIR;
    this.stateDir = opts.stateDir ?? DEFAULT_STATE_DIR;
    this.paths = opts.manifestPaths ?? [this.manifestDir];
    // A state directory the config names is created for the cache, as for the pod state; the default
    // one is left to the store that owns it.
    this.cacheFile = opts.cacheParsed
      ? ManifestCache.fileFor(
          this.stateDir,
          this.paths,
          opts.stateDir !== undefined && opts.stateDir !== DEFAULT_STATE_DIR,
        )
      : undefined;
  }

  /** Forgets what was read; the next call reads the directory again. */
  reload(): void {
    this.loaded = undefined;
  }

  manifests(): Promise<Manifests> {
    this.loaded ??= loadManifests(this.paths, this.cacheFile);
    return this.loaded;
  }

  /** A manifest without metadata.uid cannot be checked against `opts.uid`; one with a uid is. */
  async getPod(namespace: string, name: string, opts: { uid?: string } = {}): Promise<PodInfo | undefined> {
    const pod = (await this.manifests()).pods.get(`${namespace}/${name}`);
    if (pod === undefined) return undefined;
    if (pod.metadata.uid !== undefined) checkPodUid(pod, opts.uid);
    const state = this.readState(namespace, name);
    if (state === undefined || (state.uid && pod.metadata.uid && state.uid !== pod.metadata.uid)) return pod;
    return {
      ...pod,
      metadata: { ...pod.metadata, annotations: { ...pod.metadata.annotations, ...state.annotations } },
    };
  }

  async getNamespace(name: string): Promise<NamespaceInfo | undefined> {
    return (await this.manifests()).namespaces.get(name);
  }

  async getNode(name: string): Promise<NodeInfo | undefined> {
    return (await this.manifests()).nodes.get(name);
  }

  async getNetworkAttachmentDefinition(
    namespace: string,
    name: string,
  ): Promise<NetworkAttachmentDefinition | undefined> {
    return (await this.manifests()).nads.get(`${namespace}/${name}`);
  }

  async listNetworkAttachmentDefinitions(): Promise<NetworkAttachmentDefinition[]> {
    return [...(await this.manifests()).nads.values()];
  }

  async listIPPools(): Promise<SpiderIPPool[]> {
    return (await this.manifests()).pools;
  }

  async listReservedIPs(): Promise<SpiderReservedIP[]> {
    return (await this.manifests()).reserved;
  }

  async setPodAnnotations(
    namespace: string,
    name: string,
    annotations: Record<string, string>,
  ): Promise<void> {
    const dir = join(this.stateDir, 'pods');
    mkdirSync(dir, { recursive: true });
    const pod = (await this.manifests()).pods.get(`${namespace}/${name}`);
    const uid = pod?.metadata.uid;
    const prev = this.readState(namespace, name);
    const keep = prev !== undefined && (!uid || !prev.uid || prev.uid === uid) ? prev.annotations : {};
    const state: PodState = {
      namespace,
      name,
      ...(uid ? { uid } : {}),
      annotations: { ...keep, ...annotations },
    };
    const file = this.statePath(namespace, name);
    const tmp = `${file}.${process.pid}.tmp`;
    writeFileSync(tmp, `${JSON.stringify(state, null, 2)}\n`);
    renameSync(tmp, file);
  }

  private statePath(namespace: string, name: string): string {
    return join(this.stateDir, 'pods', `${namespace}_${name}.json`);
  }

  private readState(namespace: string, name: string): PodState | undefined {
    try {
      const s = JSON.parse(readFileSync(this.statePath(namespace, name), 'utf8')) as PodState;
      return typeof s.annotations === 'object' && s.annotations !== null ? s : undefined;
    } catch {
      return undefined;
    }
  }
}
