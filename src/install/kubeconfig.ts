// The plugins' kubeconfig, built from what the pod's service account gives the install container:
// the API address from KUBERNETES_SERVICE_HOST/PORT, the CA and the (rotating) token, inlined so the
// plugins on the host need no access to the pod's files. Re-rendered whenever the token changes.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';

export const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

export interface ApiEndpoint {
  host: string;
  port: string;
}

export function endpointFromEnv(env: NodeJS.ProcessEnv): ApiEndpoint | undefined {
  const host = env['KUBERNETES_SERVICE_HOST'];
  const port = env['KUBERNETES_SERVICE_PORT'];
  return host && port ? { host, port } : undefined;
}

export function renderKubeconfig(saDir: string, api: ApiEndpoint): string {
  const read = (f: string) => {
    try {
      return readFileSync(join(saDir, f), 'utf8');
    } catch (err) {
      throw new Error(`cannot read the service account's ${join(saDir, f)}`, { cause: err });
    }
  };
  const ca = read('ca.crt');
  const token = read('token').trim();
  if (!token)
    throw new Error(`service account ${join(saDir, 'token')}: expected a token, found an empty file`);
  const host = api.host.includes(':') ? `[${api.host}]` : api.host;
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [
      {
        name: 'local',
        cluster: {
          server: `https://${host}:${api.port}`,
          'certificate-authority-data': Buffer.from(ca).toString('base64'),
        },
      },
    ],
    users: [{ name: 'trunkline', user: { token } }],
    contexts: [{ name: 'trunkline-context', context: { cluster: 'local', user: 'trunkline' } }],
    'current-context': 'trunkline-context',
  });
}
