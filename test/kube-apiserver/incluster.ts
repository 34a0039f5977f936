// The files and environment a pod's service account gives it, for in-cluster client config.
// @kubernetes/client-node reads /var/run/secrets/kubernetes.io/serviceaccount/{token,ca.crt,namespace}
// behind an optional prefix: `kc.loadFromCluster(files.root)` reads exactly these files. Code that
// calls loadFromCluster() without a prefix cannot be redirected (there is no environment variable
// for it, and the mount point does not exist on this host, so a private mount namespace cannot bind
// over it without creating a directory in /run): such code should take the prefix as a parameter.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

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
