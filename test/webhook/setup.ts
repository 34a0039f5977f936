// A test API server with Trunkline's CRDs and webhook configurations applied by the real kubectl,
// the webhook serving on loopback behind the `kube-system/trunkline-webhook` service reference.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubernetesSource } from '../../src/cluster/kubernetes/source.js';
import { WebhookServer } from '../../src/webhook/server.js';
import { ROOT } from '../helpers/paths.js';
import { type KubeApiServer, startKubeApiServer } from '../kube-apiserver/server.js';
import { makeCerts, type TestCerts } from './certs.js';

export const KUBECTL = '/usr/bin/kubectl';
export const SERVICE_DNS = 'trunkline-webhook.kube-system.svc';

export interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

export interface Env {
  api: KubeApiServer;
  dir: string;
  certs: TestCerts;
  webhook: WebhookServer | undefined;
  kubectl(args: string[], stdin?: string): Promise<Run>;
  /** `kubectl apply -f` of one object. */
  apply(obj: unknown): Promise<Run>;
  startWebhook(): Promise<void>;
  stop(): Promise<void>;
}

export async function setup(): Promise<Env> {
  const api = await startKubeApiServer();
  const dir = mkdtempSync(join(tmpdir(), 'webhook-test-'));
  let files = 0;
  const env: Env = {
    api,
    dir,
    certs: makeCerts(dir, SERVICE_DNS),
    webhook: undefined,
    kubectl: (args) =>
      new Promise((resolve, reject) => {
        execFile(
          KUBECTL,
          ['--kubeconfig', api.kubeconfigPath, '--cache-dir', join(dir, 'cache'), ...args],
          { timeout: 60_000 },
          (err, stdout, stderr) => {
            if (err && typeof err.code !== 'number') reject(err);
            else resolve({ code: typeof err?.code === 'number' ? err.code : 0, stdout, stderr });
          },
        );
      }),
    apply: (obj) => {
      const path = join(dir, `obj-${++files}.json`);
      writeFileSync(path, JSON.stringify(obj));
      return env.kubectl(['apply', '-f', path]);
    },
    startWebhook: async () => {
      const source = new KubernetesSource({ kubeconfig: api.kubeconfigPath });
      // As in the controller, the API client is loaded before the webhook serves (the first load takes
      // seconds, more than a webhook's timeoutSeconds).
      await source.getNamespace('kube-system');
      const server = new WebhookServer({
        cert: env.certs.cert,
        key: env.certs.key,
        host: '127.0.0.1',
        context: {
          source,
          namespaceIsolation: true,
          nonIsolatedNamespaces: ['default'],
          multusNamespace: 'kube-system',
        },
      });
      const ep = await server.listen();
      api.admission.endpoints.set('kube-system/trunkline-webhook', ep);
      env.webhook = server;
    },
    stop: async () => {
      await env.webhook?.close();
      await api.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  try {
    const crds = await env.kubectl(['apply', '-k', join(ROOT, 'deploy/base/crds')]);
    assert.equal(crds.code, 0, crds.stderr);
    const hooks = await env.kubectl([
      'apply',
      '-f',
      join(ROOT, 'deploy/components/webhook/service.yaml'),
      '-f',
      join(ROOT, 'deploy/components/webhook/webhooks.yaml'),
    ]);
    assert.equal(hooks.code, 0, hooks.stderr);
    const ca = Buffer.from(env.certs.ca).toString('base64');
    for (const kind of ['MutatingWebhookConfiguration', 'ValidatingWebhookConfiguration']) {
      const stored = api.get('admissionregistration.k8s.io/v1', kind, undefined, 'trunkline');
      const n = (stored?.webhooks as unknown[] | undefined)?.length ?? 0;
      const ops = Array.from({ length: n }, (_, i) => ({
        op: 'add',
        path: `/webhooks/${i}/clientConfig/caBundle`,
        value: ca,
      }));
      const r = await env.kubectl(['patch', kind, 'trunkline', '--type=json', '-p', JSON.stringify(ops)]);
      assert.equal(r.code, 0, r.stderr);
    }
    await env.startWebhook();
  } catch (e) {
    await env.stop();
    throw e;
  }
  return env;
}
