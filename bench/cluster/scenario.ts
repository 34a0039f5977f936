// One scenario of the cluster simulation: a pool, a network (NAD) whose IPAM store is the mechanism
// under test, a Deployment-like scale-up of `pods` pods spread over the nodes, every node's kubelet
// attaching its pods as they appear (all at once), then detaching them all. Checked, not assumed:
// distinct addresses, the store's record exactly the set handed out after ADD and empty after DEL.
import { readFileSync } from 'node:fs';
import { loadClients } from '../../src/cluster/kubernetes/client.js';
import type { KubeApiServer } from '../../test/kube-apiserver/server.js';
import { type CniCall, metaConf } from './cni.js';
import { type RequestFigures, requestFigures } from './requests.js';
import type { SimNode, World } from './world.js';

interface PodRef {
  name: string;
  uid: string;
  netns: string;
  node: SimNode;
}

export type Mechanism = 'per-allocation' | 'batched' | 'etcd';

export interface PoolSpec {
  label: string;
  subnet: string;
  ips?: string[];
}

export interface Scenario {
  mechanism: Mechanism;
  pool: PoolSpec;
  pods: number;
  latencyMs: number;
  /** Pod namespaces to use, one per pod (made once for the run, reused by every scenario). */
  podNetns: string[];
}

export interface ScenarioResult {
  addWallMs: number;
  delWallMs: number;
  addP50: number;
  addP99: number;
  failedCalls: number;
  kubeletRetries: number;
  exhausted: number;
  podsAttached: number;
  duplicates: number;
  statusExactAfterAdd: boolean;
  statusEmptyAfterDel: boolean;
  add: RequestFigures;
  del: RequestFigures;
  /** CPU ms per pod (ADD and DEL phases): this process (API server, kubelets), and all agents. */
  cpuHarnessPerPod: number;
  cpuAgentsPerPod: number;
  firstError?: string;
}

/** utime + stime of a process in ms (clock ticks of 10 ms). */
function cpuMs(pid: number | undefined): number {
  if (pid === undefined) return 0;
  try {
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const rest = f.slice(f.lastIndexOf(')') + 2).split(' ');
    return (Number(rest[11]) + Number(rest[12])) * 10;
  } catch {
    return 0;
  }
}

const API = 'spiderpool.spidernet.io/v2beta1';
const ATTEMPTS = 5;
let seq = 0;

const call = (command: 'ADD' | 'DEL', p: PodRef, conf: string) =>
  p.node.kubelet.cni({ command, pod: p.name, uid: p.uid, netns: p.netns, socket: p.node.socket, conf });

export function percentile(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? Number.NaN : s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
}

/** ReplicaSet slow start: batches of 1, 2, 4, … created concurrently, each after the previous. */
function waves(n: number): number[] {
  const out: number[] = [];
  for (let size = 1, left = n; left > 0; size *= 2) {
    out.push(Math.min(size, left));
    left -= size;
  }
  return out;
}

function storeConf(m: Mechanism, world: World, prefix: string): Record<string, unknown> {
  if (m === 'etcd') {
    const port = new URL(world.etcd!.endpoint).port;
    return { type: 'etcd', endpoints: [`http://127.0.0.1:${port}`], prefix };
  }
  return { type: 'kubernetes', writes: m };
}

/** The store's record of allocations: SpiderIPPool status, or (etcd) the store itself. */
async function recorded(world: World, m: Mechanism, pool: string, prefix: string): Promise<string[]> {
  if (m !== 'etcd') {
    const st = world.api.get(API, 'SpiderIPPool', undefined, pool)?.status as
      | { allocatedIPs?: string; allocatedIPCount?: number }
      | undefined;
    const keys = Object.keys(JSON.parse(st?.allocatedIPs || '{}') as object);
    if ((st?.allocatedIPCount ?? 0) !== keys.length) return ['allocatedIPCount mismatch'];
    return keys;
  }
  const { EtcdStore } = await import('../../src/store/etcd/store.js');
  const s = new EtcdStore({ type: 'etcd', endpoints: [world.etcd!.endpoint], prefix });
  await s.open();
  try {
    return (await s.list(pool)).map((a) => a.ip);
  } finally {
    await s.close();
  }
}

const sameSet = (a: string[], b: string[]) =>
  a.length === b.length && [...a].sort().join() === [...b].sort().join();

function withLatency(api: KubeApiServer, ms: number): () => void {
  if (ms <= 0) return () => undefined;
  return api.before((req) => (req.watch ? undefined : { delayMs: ms * (0.5 + Math.random()) }));
}

export async function runScenario(world: World, sc: Scenario): Promise<ScenarioResult> {
  const id = `${sc.mechanism}-${sc.pool.label}-${++seq}`.replace(/[^a-z0-9-]/g, '');
  const pool = `pool-${id}`;
  const network = `net-${id}`;
  const etcdPrefix = `/bench/${id}/`;
  world.api.seed([
    {
      apiVersion: API,
      kind: 'SpiderIPPool',
      metadata: { name: pool },
      spec: { ipVersion: 4, subnet: sc.pool.subnet, ...(sc.pool.ips ? { ips: sc.pool.ips } : {}) },
    },
    {
      apiVersion: 'k8s.cni.cncf.io/v1',
      kind: 'NetworkAttachmentDefinition',
      metadata: { name: network, namespace: 'kube-system' },
      spec: {
        config: JSON.stringify({
          cniVersion: '1.0.0',
          name: network,
          plugins: [
            {
              type: 'trunkline-macvlan',
              master: 'uplink0',
              mode: 'bridge',
              ipam: {
                type: 'trunkline-ipam',
                default_ipv4_ippool: [pool],
                store: storeConf(sc.mechanism, world, etcdPrefix),
              },
            },
            { type: 'trunkline-coordinator', mode: 'underlay', podCIDRType: 'none' },
          ],
        }),
      },
    },
  ]);
  // The agents learn the new pool and network from their watches.
  await new Promise((r) => setTimeout(r, 300));
  const admin = await loadClients(world.api.kubeconfigPath);
  const confs = new Map(world.nodes.map((n) => [n.name, metaConf(n, network, world.dir)]));
  const pods: PodRef[] = Array.from({ length: sc.pods }, (_, i) => ({
    name: `${id}-${i}`,
    uid: '',
    netns: sc.podNetns[i]!,
    node: world.nodes[i % world.nodes.length]!,
  }));
  const adds: CniCall[] = [];
  const ips: string[] = [];
  let retries = 0;
  let exhausted = 0;
  let firstError: string | undefined;
  const attach = async (p: PodRef) => {
    const conf = confs.get(p.node.name)!;
    for (let attempt = 1; attempt <= ATTEMPTS; attempt++) {
      const r = await call('ADD', p, conf);
      adds.push(r);
      if (r.ok) {
        ips.push(r.ip!);
        return;
      }
      firstError ??= r.error;
      if (/still conflicting/.test(r.error ?? '')) exhausted++;
      // The kubelet tears the sandbox down and tries again a little later.
      retries++;
      await call('DEL', p, conf);
      await new Promise((res) => setTimeout(res, 50 * attempt));
    }
  };

  const removeLatency = withLatency(world.api, sc.latencyMs);
  const mark0 = world.api.requests.length;
  const agentCpu = () => world.nodes.reduce((n, x) => n + cpuMs(x.agent.pid), 0);
  const cpu0 = { harness: process.cpuUsage(), agents: agentCpu() };
  const t0 = performance.now();
  const attaching: Promise<void>[] = [];
  let next = 0;
  for (const size of waves(sc.pods)) {
    const batch = pods.slice(next, next + size);
    next += size;
    await Promise.all(
      batch.map(async (p) => {
        const created = await admin.core.createNamespacedPod({
          namespace: 'bench',
          body: {
            metadata: { name: p.name, labels: { app: id } },
            spec: { nodeName: p.node.name, containers: [{ name: 'c', image: 'pause' }] },
          },
        });
        p.uid = created.metadata?.uid ?? '';
        attaching.push(attach(p));
      }),
    );
  }
  await Promise.all(attaching);
  const addWallMs = performance.now() - t0;
  const mark1 = world.api.requests.length;
  const statusExactAfterAdd = sameSet(await recorded(world, sc.mechanism, pool, etcdPrefix), ips);

  const t1 = performance.now();
  await Promise.all(pods.map((p) => call('DEL', p, confs.get(p.node.name)!)));
  const delWallMs = performance.now() - t1;
  const mark2 = world.api.requests.length;
  const harnessCpu = process.cpuUsage(cpu0.harness);
  const agentsCpu = agentCpu() - cpu0.agents;
  removeLatency();
  const statusEmptyAfterDel = (await recorded(world, sc.mechanism, pool, etcdPrefix)).length === 0;
  await admin.core.deleteCollectionNamespacedPod({ namespace: 'bench', labelSelector: `app=${id}` });
  // Pools of one subnet must not overlap: the next scenario's pool replaces this one.
  world.api.delete(API, 'SpiderIPPool', undefined, pool);
  world.api.delete('k8s.cni.cncf.io/v1', 'NetworkAttachmentDefinition', 'kube-system', network);

  const okMs = adds.filter((a) => a.ok).map((a) => a.ms);
  return {
    addWallMs,
    delWallMs,
    addP50: percentile(okMs, 50),
    addP99: percentile(okMs, 99),
    failedCalls: adds.filter((a) => !a.ok).length,
    kubeletRetries: retries,
    exhausted,
    podsAttached: ips.length,
    duplicates: ips.length - new Set(ips).size,
    statusExactAfterAdd,
    statusEmptyAfterDel,
    add: requestFigures(world.api.requests.slice(mark0, mark1), sc.pods),
    del: requestFigures(world.api.requests.slice(mark1, mark2), sc.pods),
    cpuHarnessPerPod: (harnessCpu.user + harnessCpu.system) / 1000 / sc.pods,
    cpuAgentsPerPod: agentsCpu / sc.pods,
    ...(firstError !== undefined ? { firstError } : {}),
  };
}
