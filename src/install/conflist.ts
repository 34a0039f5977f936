// 00-trunkline.conflist: the meta plugin wrapping the cluster's default network, generated the way
// Multus's auto-config does it: the first *.conf/*.conflist in the conf dir (by name, ours and
// Multus's own skipped) becomes `clusterNetwork` by path; its cniVersion and enabled capabilities
// carry over. The default network's file itself is never touched.
import { readdirSync, readFileSync } from 'node:fs';
import { extname, join } from 'node:path';

export const CONFLIST_NAME = '00-trunkline.conflist';
const NETWORK_NAME = 'trunkline-cni-network';

/** File name of the cluster's default network in `confDir`, or undefined when there is none yet. */
export function findDefaultNetwork(confDir: string): string | undefined {
  const names = readdirSync(confDir).filter(
    (n) =>
      !n.startsWith('.') &&
      !n.startsWith('00-trunkline') &&
      !n.startsWith('00-multus') &&
      (extname(n) === '.conf' || extname(n) === '.conflist'),
  );
  return names.sort()[0];
}

interface ConflistOptions {
  /** The conf dir and bin dir as the host's runtime and the plugins see them. */
  hostConfDir: string;
  hostBinDir: string;
  kubeconfig?: string;
  readinessIndicatorFile?: string;
  logLevel?: string;
  cniDir?: string;
}

type Rec = Record<string, unknown>;

function capabilities(conf: Rec): Record<string, boolean> {
  const out: Record<string, boolean> = {};
  const plugins = Array.isArray(conf['plugins']) ? (conf['plugins'] as unknown[]) : [conf];
  for (const p of plugins) {
    const caps = (p as Rec | null)?.['capabilities'];
    if (typeof caps !== 'object' || caps === null) continue;
    for (const [k, v] of Object.entries(caps as Rec)) if (v === true) out[k] = true;
  }
  return out;
}

/** The conflist text for a default network read from `confDir/defaultFile`. */
export function renderConflist(confDir: string, defaultFile: string, opts: ConflistOptions): string {
  const path = join(confDir, defaultFile);
  let conf: Rec;
  try {
    conf = JSON.parse(readFileSync(path, 'utf8')) as Rec;
  } catch (err) {
    throw new Error(`default network ${path}: expected a JSON CNI config`, { cause: err });
  }
  if (typeof conf !== 'object' || conf === null || Array.isArray(conf))
    throw new Error(`default network ${path}: expected a JSON object, found ${JSON.stringify(conf)}`);
  const cniVersion = typeof conf['cniVersion'] === 'string' ? conf['cniVersion'] : '0.3.1';
  const caps = capabilities(conf);
  const plugin: Rec = {
    type: 'trunkline',
    ...(Object.keys(caps).length > 0 ? { capabilities: caps } : {}),
    clusterNetwork: join(opts.hostConfDir, defaultFile),
    binDir: opts.hostBinDir,
    ...(opts.kubeconfig !== undefined ? { kubeconfig: opts.kubeconfig } : {}),
    ...(opts.readinessIndicatorFile !== undefined
      ? { readinessindicatorfile: opts.readinessIndicatorFile }
      : {}),
    ...(opts.logLevel !== undefined ? { logLevel: opts.logLevel } : {}),
    ...(opts.cniDir !== undefined ? { cniDir: opts.cniDir } : {}),
  };
  return `${JSON.stringify({ cniVersion, name: NETWORK_NAME, plugins: [plugin] }, null, 2)}\n`;
}
