// The files and environment a pod's service account gives it, for in-cluster client config.
// @kubernetes/client-node reads /var/run/secrets/kubernetes.io/serviceaccount/{token,ca.crt,namespace}
// behind an optional prefix: `kc.loadFromCluster(files.root)` reads exactly these files. Code that
// calls loadFromCluster() without a prefix (there is no environment variable for it) runs through
// inClusterCommand(): its own mount namespace shows the files at the real path.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

export interface InClusterFiles {
  /** Prefix for loadFromCluster(root): root + SERVICE_ACCOUNT_DIR holds the files. */
  root: string;
  /** The service-account directory itself (token, ca.crt, namespace). */
  dir: string;
  env: { KUBERNETES_SERVICE_HOST: string; KUBERNETES_SERVICE_PORT: string };
}

export function writeInClusterFiles(
  root: string,
  url: string,
  caCert: string,
  token: string,
  namespace: string,
): InClusterFiles {
  const dir = join(root, SERVICE_ACCOUNT_DIR);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'token'), token, { mode: 0o600 });
  writeFileSync(join(dir, 'ca.crt'), caCert);
  writeFileSync(join(dir, 'namespace'), namespace);
  const u = new URL(url);
  return { root, dir, env: { KUBERNETES_SERVICE_HOST: u.hostname, KUBERNETES_SERVICE_PORT: u.port } };
}

/**
 * argv that runs `argv` with `files` mounted at SERVICE_ACCOUNT_DIR (needs root: unshare + mount);
 * pass `files.env` in its environment as well.
 */
export function inClusterCommand(files: InClusterFiles, argv: string[]): string[] {
  const here = fileURLToPath(import.meta.url);
  const helper = join(dirname(here), `incluster-exec${here.endsWith('.ts') ? '.ts' : '.js'}`);
  const node = here.endsWith('.ts') ? [process.execPath, '--import', 'tsx'] : [process.execPath];
  return ['unshare', '--mount', '--propagation', 'slave', '--', ...node, helper, files.dir, '--', ...argv];
}
