// A node for fixed-IP tests: the node agent (dist/agent) in a host namespace whose veth is the
// macvlan master, reaching the test API server through a port bridge, running the meta plugin →
// trunkline-macvlan → trunkline-ipam (Kubernetes store) for pods the test creates and deletes as the
// StatefulSet controller and the kubelet would. eth0 comes from pool fx-a, net1 from fx-b.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parse } from 'yaml';
import { callAgent } from '../../src/agent/client.js';
import { startAgent, type TestAgent } from '../agent/helpers.js';
import { bridgePort, type PortBridge } from '../helpers/cri/port-bridge.js';
import { Scene } from '../helpers/netns.js';
import { DIST_CNI, ROOT } from '../helpers/paths.js';
import '../kube-apiserver/controller-kinds.js';
import { type KubeApiServer, startKubeApiServer } from '../kube-apiserver/server.js';

export const NS = 'fx';
// The API server shares this process: blocking on `ip` would stall it under the stress test's load.
const ip = async (args: string[]) => (await promisify(execFile)('ip', args, { encoding: 'utf8' })).stdout;
const POOL_API = 'spiderpool.spidernet.io/v2beta1';
type Obj = Record<string, unknown>;

const crd = (file: string) => parse(readFileSync(join(ROOT, 'deploy/base/crds', file), 'utf8')) as Obj;

const pool = (name: string, third: number) => ({
  apiVersion: POOL_API,
  kind: 'SpiderIPPool',
  metadata: { name },
  spec: {
    ipVersion: 4,
    subnet: `10.7${third}.0.0/24`,
    ips: [`10.7${third}.0.10-10.7${third}.0.250`],
    gateway: `10.7${third}.0.1`,
  },
});

const nad = (name: string, poolName: string, kubeconfig: string) => ({
  apiVersion: 'k8s.cni.cncf.io/v1',
  kind: 'NetworkAttachmentDefinition',
  metadata: { name, namespace: 'kube-system' },
  spec: {
    config: JSON.stringify({
      cniVersion: '1.0.0',
      name,
      type: 'trunkline-macvlan',
      master: 'uplink0',
      mode: 'bridge',
      ipam: {
        type: 'trunkline-ipam',
        kubeconfig,
        default_ipv4_ippool: [poolName],
        store: { type: 'kubernetes' },
      },
    }),
  },
});

export interface Nic {
  eth0: string;
  net1: string;
}

export interface PoolEntry {
  pool: string;
  ip: string;
  pod: string;
  podUid: string;
  containerID?: string;
  interface?: string;
}

export class FixedScene {
  readonly scene = new Scene('fxip');
  api!: KubeApiServer;
  agent!: TestAgent;
  host!: ReturnType<Scene['host']>;
  private relay!: PortBridge;
  private dir = mkdtempSync(join(tmpdir(), 'fixedip-'));
  private kubeconfig = join(this.dir, 'relay.kubeconfig');

  async start(): Promise<void> {
    this.host = this.scene.host('h');
    this.api = await startKubeApiServer();
    this.relay = await bridgePort(this.host.path, Number(new URL(this.api.url).port), this.dir);
    writeFileSync(
      this.kubeconfig,
      readFileSync(this.api.kubeconfigPath, 'utf8').replaceAll(
        new URL(this.api.url).host,
        `127.0.0.1:${this.relay.port}`,
      ),
    );
    this.api.seed([crd('spiderendpoints.yaml')]);
    this.api.seed([
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } },
      { apiVersion: 'v1', kind: 'Node', metadata: { name: 'node1' } },
      pool('fx-a', 1),
      pool('fx-b', 2),
      nad('fx-eth0', 'fx-a', this.kubeconfig),
      nad('fx-net1', 'fx-b', this.kubeconfig),
    ]);
    const saved = process.env['NODE_NAME'];
    process.env['NODE_NAME'] = 'node1';
    try {
      this.agent = await startAgent(this.host.path, this.dir);
    } finally {
      if (saved === undefined) delete process.env['NODE_NAME'];
      else process.env['NODE_NAME'] = saved;
    }
  }

  async stop(): Promise<void> {
    await this.agent?.stop();
    await this.relay?.close();
    await this.api?.stop();
    for (const n of this.sandboxes) this.scene.remove(n);
    this.scene.cleanup();
    rmSync(this.dir, { recursive: true, force: true });
  }

  statefulSet(name: string, replicas: number): { uid: string } {
    const [s] = this.api.seed([
      { apiVersion: 'apps/v1', kind: 'StatefulSet', metadata: { name, namespace: NS }, spec: { replicas } },
    ]);
    return { uid: String((s!.metadata as Obj)['uid']) };
  }

  scale(name: string, replicas: number): void {
    const s = this.api.get('apps/v1', 'StatefulSet', NS, name)!;
    this.api.update({ ...s, spec: { ...(s['spec'] as Obj), replicas } });
  }

  /** The pod object, as a controller creates it; a new UID every time. */
  createPod(name: string, owner?: { apiVersion: string; kind: string; name: string; uid: string }): string {
    const uid = `uid-${name}-${randomBytes(4).toString('hex')}`;
    this.api.seed([
      {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: {
          name,
          namespace: NS,
          uid,
          annotations: { 'k8s.v1.cni.cncf.io/networks': 'kube-system/fx-net1' },
          ...(owner ? { ownerReferences: [{ ...owner, controller: true, blockOwnerDeletion: true }] } : {}),
        },
        spec: { nodeName: 'node1', containers: [{ name: 'c', image: 'i' }] },
      },
    ]);
    return uid;
  }

  deletePod(name: string): void {
    this.api.delete('v1', 'Pod', NS, name);
  }

  private sandboxes = new Set<string>();

  /** A new network namespace: a new sandbox. */
  async sandbox(tag: string): Promise<{ name: string; path: string; id: string }> {
    const name = `fxip${tag}${this.scene.id}`;
    await ip(['netns', 'add', name]);
    this.sandboxes.add(name);
    await ip(['-n', name, 'link', 'set', 'lo', 'up']);
    return { name, path: `/var/run/netns/${name}`, id: `fx-${tag}-${randomBytes(4).toString('hex')}` };
  }

  async dropSandbox(sb: { name: string }): Promise<void> {
    await ip(['netns', 'del', sb.name]);
    this.sandboxes.delete(sb.name);
  }

  private call(command: string, pod: string, uid: string, sb: { path: string; id: string }) {
    return callAgent(this.agent.socket, {
      type: 'trunkline',
      env: {
        CNI_COMMAND: command,
        CNI_CONTAINERID: sb.id,
        CNI_NETNS: sb.path,
        CNI_IFNAME: 'eth0',
        CNI_PATH: DIST_CNI,
        CNI_ARGS: `IgnoreUnknown=1;K8S_POD_NAMESPACE=${NS};K8S_POD_NAME=${pod};K8S_POD_UID=${uid};K8S_POD_INFRA_CONTAINER_ID=${sb.id}`,
      },
      stdin: JSON.stringify({
        cniVersion: '1.0.0',
        name: 'trunkline',
        type: 'trunkline',
        kubeconfig: this.kubeconfig,
        clusterNetwork: 'fx-eth0',
        binDir: DIST_CNI,
        cniDir: join(this.dir, 'cache'),
        confDir: join(this.dir, 'confd'),
      }),
    });
  }

  /** CNI ADD as the kubelet's runtime makes it; the addresses read back from the sandbox's NICs. */
  async add(pod: string, uid: string, sb: { name: string; path: string; id: string }): Promise<Nic> {
    const r = await this.call('ADD', pod, uid, sb);
    assert.equal(r.exitCode, 0, `ADD ${pod}: ${r.stdout.toString()}`);
    const addrs = JSON.parse(await ip(['-j', '-n', sb.name, 'addr', 'show'])) as {
      ifname: string;
      addr_info: { family: string; local: string }[];
    }[];
    const v4 = (ifname: string) => {
      const a = addrs.find((x) => x.ifname === ifname)?.addr_info.find((i) => i.family === 'inet')?.local;
      assert.ok(a, `${pod} has an IPv4 address on ${ifname}: ${JSON.stringify(addrs)}`);
      return a;
    };
    return { eth0: v4('eth0'), net1: v4('net1') };
  }

  async del(pod: string, uid: string, sb: { path: string; id: string }): Promise<void> {
    const r = await this.call('DEL', pod, uid, sb);
    assert.equal(r.exitCode, 0, `DEL ${pod}: ${r.stdout.toString()}`);
  }

  /** Every pool's status.allocatedIPs, flattened, with the counts checked against the map. */
  entries(): PoolEntry[] {
    const out: PoolEntry[] = [];
    for (const p of this.api.list(POOL_API, 'SpiderIPPool')) {
      const st = (p['status'] ?? {}) as { allocatedIPs?: string; allocatedIPCount?: number };
      const map = JSON.parse(st.allocatedIPs || '{}') as Record<string, Omit<PoolEntry, 'pool' | 'ip'>>;
      const name = String((p['metadata'] as Obj)['name']);
      assert.equal(st.allocatedIPCount ?? 0, Object.keys(map).length, `${name}: allocatedIPCount = map size`);
      for (const [ip, rec] of Object.entries(map)) out.push({ pool: name, ip, ...rec });
    }
    return out.sort((a, b) => (a.pool + a.ip < b.pool + b.ip ? -1 : 1));
  }

  endpoint(name: string): Obj | undefined {
    return this.api.get(POOL_API, 'SpiderEndpoint', NS, name);
  }

  endpointNames(): string[] {
    return this.api
      .list(POOL_API, 'SpiderEndpoint', NS)
      .map((e) => String((e['metadata'] as Obj)['name']))
      .sort();
  }
}
