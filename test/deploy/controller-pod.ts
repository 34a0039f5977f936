// `trunkline controller` as the Deployment runs it: the container's command and args from the rendered
// manifests, the service account's token and CA at the in-cluster path (no kubeconfig), POD_NAME and
// POD_NAMESPACE from the downward API. Only the listen addresses are moved to loopback ports of the
// system's choosing (parallel tests); the webhook Service's endpoint is pointed at this "pod".
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { ROOT } from '../helpers/paths.js';
import { inClusterCommand, type KubeApiServer } from '../kube-apiserver/server.js';
import { DEPLOY, find, kustomize } from './render.js';

export interface ControllerPod {
  child: ChildProcess;
  port: number;
  webhookPort: number;
  logs(): string;
  ready(): Promise<boolean>;
  stop(): Promise<void>;
}

export async function runControllerPod(api: KubeApiServer, name: string): Promise<ControllerPod> {
  const d = find(kustomize(DEPLOY), 'Deployment', 'trunkline-controller') as unknown as {
    metadata: { namespace: string };
    spec: {
      template: {
        spec: { serviceAccountName: string; containers: { command: string[]; args?: string[] }[] };
      };
    };
  };
  const ns = d.metadata.namespace;
  const c = d.spec.template.spec.containers[0]!;
  // The image's `trunkline` is the bundled CLI.
  const argv = [
    process.execPath,
    join(ROOT, 'dist/bin/trunkline'),
    ...c.command.slice(1),
    ...(c.args ?? []),
    '--listen=127.0.0.1:0',
    // The last of a repeated flag wins.
    '--webhook-listen=127.0.0.1:0',
  ];
  const files = api.inCluster(ns, d.spec.template.spec.serviceAccountName);
  const [cmd, ...args] = inClusterCommand(files, argv);
  const child = spawn(cmd!, args, {
    env: { ...process.env, ...files.env, POD_NAME: name, POD_NAMESPACE: ns },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let log = '';
  child.stderr?.on('data', (b: Buffer) => {
    log += b.toString();
  });
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  for (let i = 0; i < 600; i++) {
    const m = /"event":"serving","port":(\d+),"identity":"[^"]*","webhookPort":(\d+)/.exec(log);
    if (m) {
      const port = Number(m[1]);
      const webhookPort = Number(m[2]);
      api.admission.endpoints.set(`${ns}/trunkline-webhook`, { host: '127.0.0.1', port: webhookPort });
      return {
        child,
        port,
        webhookPort,
        logs: () => log,
        ready: async () => (await fetch(`http://127.0.0.1:${port}/readyz`)).status === 200,
        stop: async () => {
          child.kill('SIGTERM');
          await exited;
        },
      };
    }
    if (child.exitCode !== null) throw new Error(`controller exited early: ${log}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  child.kill('SIGKILL');
  throw new Error(`controller did not start serving: ${log}`);
}
