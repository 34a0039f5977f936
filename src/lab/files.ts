// The lab's state directory plays the cluster: the scenario's manifests (what the plugins' local
// source reads), one meta plugin config per node (what the runtime would pass on stdin) and the
// node's cluster network conflist (the simulated overlay behind eth0 of overlay pods).
//
// The only changes made to the user's manifests, all in the copies: Pods get a metadata.uid when
// they have none (the API server would assign one), and each `trunkline-ipam` section of a NAD is
// pointed at the lab's state (manifestDir, stateDir, store.path) and told its NAD (multusName) —
// what /etc/trunkline and the meta plugin provide on a real node. Fields the user set are kept.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { nodePodSubnet, type StatePaths } from './names.js';
import { keyOf, MULTUS_NAMESPACE } from './scenario/model.js';
import type { LabPod, Scenario } from './types.js';

type Rec = Record<string, unknown>;
const isRec = (v: unknown): v is Rec => typeof v === 'object' && v !== null && !Array.isArray(v);

export const CLUSTER_NETWORK = 'k8s-pod-network';

export function pointIpam(config: Rec, nad: string, paths: StatePaths): Rec {
  const fix = (p: Rec): Rec => {
    const ipam = p['ipam'];
    if (!isRec(ipam) || ipam['type'] !== 'trunkline-ipam') return p;
    const store = isRec(ipam['store']) ? ipam['store'] : {};
    return {
      ...p,
      ipam: {
        ...ipam,
        manifestDir: ipam['manifestDir'] ?? paths.manifests,
        stateDir: ipam['stateDir'] ?? paths.source,
        store: { ...store, path: store['path'] ?? paths.ipamDb },
        multusName: ipam['multusName'] ?? nad,
      },
    };
  };
  return Array.isArray(config['plugins'])
    ? { ...config, plugins: (config['plugins'] as unknown[]).map((p) => (isRec(p) ? fix(p) : p)) }
    : fix(config);
}

export function writeManifests(s: Scenario, pods: LabPod[], paths: StatePaths): string[] {
  mkdirSync(paths.manifests, { recursive: true });
  mkdirSync(paths.source, { recursive: true });
  mkdirSync(join(paths.ipamDb, '..'), { recursive: true });
  const files: string[] = [];
  s.manifests.forEach((m, i) => {
    let obj = structuredClone(m.raw);
    if (m.kind === 'Pod') {
      const uid = pods.find((p) => `${p.namespace}/${p.name}` === keyOf(m))?.uid;
      obj = { ...obj, metadata: { ...(obj['metadata'] as Rec), uid } };
    }
    if (m.kind === 'NetworkAttachmentDefinition' && typeof m.spec?.['config'] === 'string') {
      const config = JSON.parse(m.spec['config']) as Rec;
      obj = {
        ...obj,
        spec: {
          ...(obj['spec'] as Rec),
          config: JSON.stringify(pointIpam(config, keyOf(m), paths), null, 2),
        },
      };
    }
    const ns = m.metadata.namespace ? `${m.metadata.namespace}-` : '';
    const file = join(
      paths.manifests,
      `${String(i + 1).padStart(2, '0')}-${m.kind.toLowerCase()}-${ns}${m.metadata.name}.yaml`,
    );
    writeFileSync(file, `# from ${m.origin.file}:${m.origin.line}\n${stringify(obj)}`);
    files.push(file);
  });
  return files;
}

/** Per-node meta plugin config and cluster network; returns the meta config (the runtime's stdin). */
export function writeNodeConfigs(s: Scenario, paths: StatePaths, pluginDir: string): Map<string, Rec> {
  const out = new Map<string, Rec>();
  s.nodes.forEach((n, i) => {
    const p = paths.node(n.name);
    for (const d of [p.confDir, p.hostLocal, p.cniCache]) mkdirSync(d, { recursive: true });
    const slice = nodePodSubnet(s.podCidr, i);
    const cluster = {
      cniVersion: '1.0.0',
      name: CLUSTER_NETWORK,
      plugins: [
        {
          type: 'ptp',
          ipMasq: false,
          ipam: {
            type: 'host-local',
            ranges: [[{ subnet: slice.subnet, gateway: slice.gateway }]],
            routes: [{ dst: '0.0.0.0/0' }],
            dataDir: p.hostLocal,
          },
        },
      ],
    };
    writeFileSync(p.clusterConf, `${JSON.stringify(cluster, null, 2)}\n`);
    const meta: Rec = {
      cniVersion: '1.0.0',
      name: 'trunkline',
      type: 'trunkline',
      clusterNetwork: p.clusterConf,
      multusNamespace: MULTUS_NAMESPACE,
      confDir: p.confDir,
      cniDir: p.cniCache,
      binDir: pluginDir,
      source: { type: 'local', manifestDir: paths.manifests, stateDir: paths.source },
    };
    writeFileSync(p.metaConf, `${JSON.stringify(meta, null, 2)}\n`);
    out.set(n.name, meta);
  });
  return out;
}
