// One scenario of the cluster simulation: a pool, a network (NAD) whose IPAM store is the mechanism
// under test, a Deployment-like scale-up of `pods` pods spread over the nodes, every node's kubelet
// attaching its pods as they appear (all at once), then detaching them all. Checked, not assumed:
// distinct addresses, the store's record exactly the set handed out after ADD and empty after DEL.
import { loadClients } from '../../src/cluster/kubernetes/client.js';
import type { KubeApiServer } from '../../test/kube-apiserver/server.js';
import { type CniCall, metaConf } from './cni.js';
import { type CpuSample, cpuPerPod, cpuSample } from './cpu.js';
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
  /** DELs that failed (each retried by its kubelet, as for ADD), and the first such error. */
  failedDels: number;
  firstDelError?: string;
  kubeletRetries: number;
  exhausted: number;
  podsAttached: number;
  duplicates: number;
  statusExactAfterAdd: boolean;
  statusEmptyAfterDel: boolean;
  add: RequestFigures;
  del: RequestFigures;
  /** CPU ms per pod (ADD and DEL phases) by process kind. */
  cpu: CpuSample;
  /** When the store's record differs from what the pods were handed: which side is wrong, and how. */
  statusDiff?: string;
  firstError?: string;
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

/** The store's record of allocations, address → holder pod: SpiderIPPool status, or (etcd) the store. */
async function recorded(
  world: World,
  m: Mechanism,
  pool: string,
  prefix: string,
): Promise<Map<string, string>> {
  if (m !== 'etcd') {
    const st = world.api.get(API, 'SpiderIPPool', undefined, pool)?.status as
      | { allocatedIPs?: string; allocatedIPCount?: number }
      | undefined;
    const map = JSON.parse(st?.allocatedIPs || '{}') as Record<string, { pod?: string }>;
    const out = new Map(Object.entries(map).map(([ip, r]) => [ip, r.pod ?? '?']));
    if ((st?.allocatedIPCount ?? 0) !== out.size)
      out.set('allocatedIPCount', `${st?.allocatedIPCount} for ${out.size} entries`);
    return out;
  }
  const { EtcdStore } = await import('../../src/store/etcd/store.js');
  const s = new EtcdStore({ type: 'etcd', endpoints: [world.etcd!.endpoint], prefix });
  await s.open();
  try {
    return new Map((await s.list(pool)).map((a) => [a.ip, a.podName ?? a.containerId]));
  } finally {
    await s.close();
  }
}

/**
 * The store's record against the live pods (pod → address its ADD returned): '' when they agree,
 * else which entries the store has that no pod holds, which pods hold addresses the store lacks, and
 * which entries name another pod than the one holding the address.
 */
export function diffRecord(
  store: Map<string, string>,
  live: Map<string, string>,
  failedAdd: ReadonlySet<string>,
): string {
  const holderOf = new Map([...live].map(([pod, ip]) => [ip, pod]));
  const extra = [...store]
    .filter(([ip]) => !holderOf.has(ip))
    .map(([ip, pod]) => `${ip} (${pod}${failedAdd.has(pod) ? ', had a failed ADD' : ''})`);
  const missing = [...live].filter(([, ip]) => !store.has(ip)).map(([pod, ip]) => `${ip} (${pod})`);
  const wrong = [...store]
    .filter(([ip, pod]) => holderOf.has(ip) && holderOf.get(ip) !== pod)
    .map(([ip, pod]) => `${ip} (store: ${pod}, live: ${holderOf.get(ip)})`);
  const part = (what: string, xs: string[]) =>
    xs.length === 0 ? [] : [`${xs.length} ${what}: ${xs.slice(0, 5).join(', ')}`];
  return [
    ...part('in the store, held by no pod', extra),
    ...part('held by a pod, not in the store', missing),
    ...part('recorded for another pod', wrong),
  ].join('; ');
}

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
  /** Live pods: "bench/<pod>" → the address its ADD returned. */
  const live = new Map<string, string>();
  /** Pods with an ADD that failed (torn down and retried by their kubelet). */
  const failedAdd = new Set<string>();
  let retries = 0;
  let exhausted = 0;
  let firstError: string | undefined;
  const attach = async (p: PodRef) => {
    const conf = confs.get(p.node.name)!;
    for (let attempt = 1; attempt <= ATTEMPTS; attempt++) {
      const r = await call('ADD', p, conf);
      adds.push(r);
      if (r.ok) {
        live.set(`bench/${p.name}`, r.ip!);
        return;
      }
      firstError ??= r.error;
      failedAdd.add(`bench/${p.name}`);
      if (/still conflicting/.test(r.error ?? '')) exhausted++;
      // The kubelet tears the sandbox down and tries again a little later.
      retries++;
      const del = await call('DEL', p, conf);
      if (!del.ok) firstError ??= `retry's DEL: ${del.error}`;
      await new Promise((res) => setTimeout(res, 50 * attempt));
    }
  };

  const removeLatency = withLatency(world.api, sc.latencyMs);
  const mark0 = world.api.requests.length;
  const sample = () =>
    cpuSample(
      world.nodes.map((n) => n.agent.pid),
      world.nodes.map((n) => n.kubelet.pid),
    );
  const cpu0 = sample();
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
  const afterAdd = diffRecord(await recorded(world, sc.mechanism, pool, etcdPrefix), live, failedAdd);

  const t1 = performance.now();
  let failedDels = 0;
  let firstDelError: string | undefined;
  const detach = async (p: PodRef) => {
    for (let attempt = 1; attempt <= ATTEMPTS; attempt++) {
      const r = await call('DEL', p, confs.get(p.node.name)!);
      if (r.ok) return;
      failedDels++;
      firstDelError ??= r.error;
      await new Promise((res) => setTimeout(res, 50 * attempt));
    }
  };
  await Promise.all(pods.map(detach));
  const delWallMs = performance.now() - t1;
  const mark2 = world.api.requests.length;
  const cpu = cpuPerPod(cpu0, sample(), sc.pods);
  removeLatency();
  const afterDel = diffRecord(await recorded(world, sc.mechanism, pool, etcdPrefix), new Map(), failedAdd);
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
    failedDels,
    ...(firstDelError !== undefined ? { firstDelError } : {}),
    kubeletRetries: retries,
    exhausted,
    podsAttached: live.size,
    duplicates: live.size - new Set(live.values()).size,
    statusExactAfterAdd: afterAdd === '',
    statusEmptyAfterDel: afterDel === '',
    ...(afterAdd || afterDel
      ? {
          statusDiff: [afterAdd && `after ADD: ${afterAdd}`, afterDel && `after DEL: ${afterDel}`]
            .filter(Boolean)
            .join('; '),
        }
      : {}),
    add: requestFigures(world.api.requests.slice(mark0, mark1), sc.pods),
    del: requestFigures(world.api.requests.slice(mark1, mark2), sc.pods),
    cpu,
    ...(firstError !== undefined ? { firstError } : {}),
  };
}
