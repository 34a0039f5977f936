// In-cluster configuration as a pod sees it: the API service from KUBERNETES_SERVICE_HOST/PORT, the
// service account's CA and bearer token from its mounted directory. Bound service-account tokens
// expire (about an hour) and the kubelet rewrites the file well before: the token is re-read whenever
// the file changes, so a long-running agent never sends an expired one (Multus thin mode #852).
import { readFileSync, statSync } from 'node:fs';
import { isIPv6 } from 'node:net';
import { join } from 'node:path';
import { errorText, invalidConfig } from '../../cni/errors.js';

const SERVICEACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';
const AUTH_PROVIDER = 'trunkline-serviceaccount-token';

interface InCluster {
  server: string;
  caFile: string;
  tokenFile: string;
}

/** The service-account directory: TRUNKLINE_SERVICEACCOUNT_DIR (an agent run outside its pod), else the standard mount. */
const serviceAccountDir = () => process.env['TRUNKLINE_SERVICEACCOUNT_DIR'] || SERVICEACCOUNT_DIR;

/** Where the API is and the files that authenticate us; every missing piece named in one error. */
export function inClusterConfig(dir = serviceAccountDir()): InCluster {
  const host = process.env['KUBERNETES_SERVICE_HOST'];
  const port = process.env['KUBERNETES_SERVICE_PORT'];
  const problems: string[] = [];
  if (!host || !port) {
    problems.push(
      `KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT must be set (the kubelet sets them in every pod), found ${host || '(unset)'}:${port || '(unset)'}`,
    );
  }
  const caFile = join(dir, 'ca.crt');
  const tokenFile = join(dir, 'token');
  for (const [what, file] of [
    ['CA certificate', caFile],
    ['token', tokenFile],
  ] as const) {
    try {
      if (readFileSync(file).length === 0) problems.push(`service-account ${what} ${file} is empty`);
    } catch (err) {
      problems.push(`service-account ${what} ${file} is not readable: ${errorText(err)}`);
    }
  }
  if (problems.length > 0) {
    throw invalidConfig(
      `in-cluster Kubernetes config unusable (no kubeconfig given): ${problems.join('; ')}`,
      'run inside a pod with a mounted service account, or name a kubeconfig',
    );
  }
  const scheme = ['80', '8080', '8001'].includes(port!) ? 'http' : 'https';
  return { server: `${scheme}://${isIPv6(host!) ? `[${host}]` : host}:${port}`, caFile, tokenFile };
}

/** client-node authenticator that re-reads the token file whenever it changed (stat per request). */
export class TokenFileAuth {
  private token = '';
  private stamp = '';

  isAuthProvider(user: { authProvider?: { name?: string } }): boolean {
    return user.authProvider?.name === AUTH_PROVIDER;
  }

  async applyAuthentication(
    user: { authProvider?: { config?: Record<string, string> } },
    opts: { headers?: Record<string, string> },
  ): Promise<void> {
    const file = user.authProvider?.config?.['path'] ?? '';
    let stamp: string;
    try {
      const st = statSync(file);
      stamp = `${st.ino}:${st.size}:${st.mtimeMs}`;
      if (stamp !== this.stamp) {
        this.token = readFileSync(file, 'utf8').trim();
        this.stamp = stamp;
      }
    } catch (err) {
      throw new Error(`service-account token ${file} is not readable`, { cause: err });
    }
    opts.headers ??= {};
    opts.headers['Authorization'] = `Bearer ${this.token}`;
  }
}

/** The user entry that selects TokenFileAuth (not `config.tokenFile`: client-node's FileAuth would claim it and re-read only every 60 s). */
export const tokenUser = (path: string) => ({
  name: 'serviceaccount',
  authProvider: { name: AUTH_PROVIDER, config: { path } },
});
