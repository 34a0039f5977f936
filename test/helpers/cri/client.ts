// A CRI v1 RuntimeService client for tests, speaking gRPC over the runtime's unix socket the way the
// kubelet does. Only the calls the tests need, from runtime-v1.proto beside this file.
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as loader from '@grpc/proto-loader';
import { ROOT } from '../paths.js';

export interface SandboxSpec {
  name: string;
  namespace: string;
  uid: string;
  attempt?: number;
  annotations?: Record<string, string>;
  /** A kubelet passes one per pod; runc creates it in every cgroup hierarchy. */
  cgroupParent: string;
}

export interface SandboxStatus {
  id: string;
  state: 'SANDBOX_READY' | 'SANDBOX_NOTREADY';
  ip: string;
  additionalIps: string[];
  /** The pause process (from the verbose info), to enter the sandbox's network namespace. */
  pid: number;
  /** containerd's netns path for the sandbox (under its state dir). */
  netns: string;
}

type Callback = (err: grpc.ServiceError | null, res: unknown) => void;
type Method = (req: unknown, opts: grpc.CallOptions, cb: Callback) => void;

const PROTO = join(ROOT, 'test', 'helpers', 'cri', 'runtime-v1.proto');

export class CriClient {
  private readonly client: grpc.Client & Record<string, Method>;

  constructor(socket: string) {
    const def = loader.loadSync(PROTO, { keepCase: true, longs: String, enums: String, defaults: true });
    const pkg = grpc.loadPackageDefinition(def) as unknown as {
      runtime: { v1: { RuntimeService: grpc.ServiceClientConstructor } };
    };
    this.client = new pkg.runtime.v1.RuntimeService(
      `unix://${socket}`,
      grpc.credentials.createInsecure(),
    ) as unknown as grpc.Client & Record<string, Method>;
  }

  private call<T>(method: string, req: unknown): Promise<T> {
    return new Promise((resolve, reject) => {
      this.client[method]!.call(this.client, req, { deadline: Date.now() + 120_000 }, (err, res) =>
        err
          ? reject(new Error(`CRI ${method}: ${err.code} ${err.details}`, { cause: err }))
          : resolve(res as T),
      );
    });
  }

  version(): Promise<{ runtime_name: string; runtime_version: string; runtime_api_version: string }> {
    return this.call('Version', { version: 'v1' });
  }

  async runPodSandbox(s: SandboxSpec): Promise<string> {
    const r = await this.call<{ pod_sandbox_id: string }>('RunPodSandbox', {
      config: {
        metadata: { name: s.name, namespace: s.namespace, uid: s.uid, attempt: s.attempt ?? 0 },
        hostname: s.name,
        labels: {
          'io.kubernetes.pod.name': s.name,
          'io.kubernetes.pod.namespace': s.namespace,
          'io.kubernetes.pod.uid': s.uid,
        },
        annotations: s.annotations ?? {},
        linux: {
          cgroup_parent: s.cgroupParent,
          security_context: { namespace_options: { network: 'POD', pid: 'CONTAINER', ipc: 'POD' } },
        },
      },
      runtime_handler: '',
    });
    return r.pod_sandbox_id;
  }

  async status(id: string): Promise<SandboxStatus> {
    const r = await this.call<{
      status: {
        id: string;
        state: SandboxStatus['state'];
        network: { ip: string; additional_ips: { ip: string }[] } | null;
      };
      info: Record<string, string>;
    }>('PodSandboxStatus', { pod_sandbox_id: id, verbose: true });
    const info = JSON.parse(r.info['info'] ?? '{}') as {
      pid?: number;
      runtimeSpec?: { linux?: { namespaces?: { type: string; path?: string }[] } };
    };
    const netns = info.runtimeSpec?.linux?.namespaces?.find((n) => n.type === 'network')?.path ?? '';
    return {
      id: r.status.id,
      state: r.status.state,
      ip: r.status.network?.ip ?? '',
      additionalIps: (r.status.network?.additional_ips ?? []).map((x) => x.ip),
      pid: info.pid ?? 0,
      netns,
    };
  }

  async stop(id: string): Promise<void> {
    await this.call('StopPodSandbox', { pod_sandbox_id: id });
  }

  async remove(id: string): Promise<void> {
    await this.call('RemovePodSandbox', { pod_sandbox_id: id });
  }

  async list(): Promise<{ id: string; name: string; state: string }[]> {
    const r = await this.call<{ items: { id: string; metadata: { name: string }; state: string }[] }>(
      'ListPodSandbox',
      {},
    );
    return r.items.map((x) => ({ id: x.id, name: x.metadata.name, state: x.state }));
  }

  close(): void {
    this.client.close();
  }
}
