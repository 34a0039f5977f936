// The simulated cluster: the test API server (with the project's CRDs and the node agent's RBAC from
// deploy/), optionally a real etcd, and N nodes. A node is a network namespace with a veth uplink
// (the macvlan master) and its own agent (`dist/agent/agent.js` started in that namespace), which
// reaches the API server and etcd at its own 127.0.0.1 (netns.ts) with the trunkline-node service
// account's token and CA, rendered into a kubeconfig as the install step does for a real node.
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect, type Server } from 'node:net';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { renderKubeconfig } from '../../src/install/kubeconfig.js';
import { type EtcdProcess, startEtcd } from '../../test/helpers/etcd.js';
import { type KubeApiServer, startKubeApiServer } from '../../test/kube-apiserver/server.js';
import { DIST, ROOT } from './dist.js';
import { Kubelet } from './kubelet.js';
import { addNetns, delNetns, inNetns, listenIn, nsPath } from './netns.js';

export interface SimNode {
  name: string;
  netns: string;
  socket: string;
  kubeconfig: string;
  agent: ChildProcess;
  kubelet: Kubelet;
  /** The agent's last stderr lines (warnings and errors only). */
  log(): string;
}

export interface World {
  api: KubeApiServer;
  etcd: EtcdProcess | undefined;
  nodes: SimNode[];
  dir: string;
  prefix: string;
  stop(): Promise<void>;
}

const SA = { namespace: 'kube-system', name: 'trunkline-node' };

function deployObjects(): Record<string, unknown>[] {
  const files = [
    'base/crds/spiderippools.yaml',
    'base/crds/spiderreservedips.yaml',
    'base/crds/network-attachment-definitions.yaml',
    'base/node/rbac.yaml',
  ];
  return files.flatMap((f) =>
    parseAllDocuments(readFileSync(join(ROOT, 'deploy', f), 'utf8')).map(
      (d) => d.toJS() as Record<string, unknown>,
    ),
  );
}

function waitFor(path: string, child: ChildProcess, log: () => string): Promise<void> {
  return new Promise((resolve, reject) => {
    const t = setInterval(() => {
      if (existsSync(path)) {
        clearInterval(t);
        resolve();
      } else if (child.exitCode !== null) {
        clearInterval(t);
        reject(new Error(`agent exited with ${child.exitCode}: ${log()}`));
      }
    }, 20);
  });
}

export interface WorldOptions {
  nodes: number;
  prefix: string;
  dir: string;
  etcd: boolean;
  /** Called with the world before its nodes start, so a caller interrupted meanwhile can stop it. */
  starting?: (world: World) => void;
}

export async function startWorld(opts: WorldOptions): Promise<World> {
  for (const f of ['agent/agent.js', 'cni/trunkline'])
    if (!existsSync(join(DIST, f)))
      throw new Error(`${join(DIST, f)} is missing: run node scripts/build.mjs`);
  mkdirSync(opts.dir, { recursive: true });
  const api = await startKubeApiServer();
  api.seed(deployObjects());
  api.seed([
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'bench' } },
    { apiVersion: 'v1', kind: 'ServiceAccount', metadata: SA },
  ]);
  const etcd = opts.etcd ? await startEtcd() : undefined;
  const apiPort = Number(new URL(api.url).port);
  const etcdPort = etcd ? Number(new URL(etcd.endpoint).port) : 0;
  const names = Array.from({ length: opts.nodes }, (_, i) => `node-${i}`);
  const netns = names.map((_, i) => `${opts.prefix}n${i}`);
  const listeners: Server[] = [];
  const nodes: SimNode[] = [];
  const world: World = {
    api,
    etcd,
    nodes,
    dir: opts.dir,
    prefix: opts.prefix,
    stop: async () => {
      await Promise.all(
        nodes.map(
          (n) =>
            new Promise<void>((resolve) => {
              if (n.agent.exitCode !== null) return resolve();
              n.agent.once('exit', () => resolve());
              n.agent.kill('SIGTERM');
            }),
        ),
      );
      try {
        for (const n of nodes) n.kubelet.stop();
        for (const l of listeners) l.close();
        await etcd?.stop();
        await api.stop();
      } finally {
        delNetns(netns);
        rmSync(opts.dir, { recursive: true, force: true });
      }
    },
  };
  opts.starting?.(world);
  try {
    addNetns(netns);
    for (const [i, name] of names.entries()) {
      const ns = netns[i]!;
      inNetns(ns, [
        'link set lo up',
        'link add uplink0 type veth peer name uplink0p',
        'link set uplink0p up',
        'link set uplink0 up',
        `addr add 192.168.200.${i + 1}/24 dev uplink0`,
      ]);
      const toApi = await listenIn(ns, apiPort);
      toApi.on('connection', (c) => api.accept(c));
      listeners.push(toApi);
      if (etcd) {
        const toEtcd = await listenIn(ns, etcdPort);
        toEtcd.on('connection', (c) => {
          const up = connect(etcdPort, '127.0.0.1');
          c.on('error', () => up.destroy());
          up.on('error', () => c.destroy());
          c.pipe(up).pipe(c);
        });
        listeners.push(toEtcd);
      }
      const files = api.inCluster(SA.namespace, SA.name);
      const kubeconfig = join(opts.dir, `${name}.kubeconfig`);
      writeFileSync(
        kubeconfig,
        renderKubeconfig(files.dir, {
          host: files.env.KUBERNETES_SERVICE_HOST,
          port: files.env.KUBERNETES_SERVICE_PORT,
        }),
        { mode: 0o600 },
      );
      api.seed([{ apiVersion: 'v1', kind: 'Node', metadata: { name } }]);
      const socket = join(opts.dir, `${name}.sock`);
      let log = '';
      const agent = spawn(
        'nsenter',
        [
          `--net=${nsPath(ns)}`,
          process.execPath,
          // Profiling the agents: BENCH_AGENT_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof".
          ...(process.env['BENCH_AGENT_NODE_ARGS'] ?? '').split(' ').filter(Boolean),
          join(DIST, 'agent/agent.js'),
          `--socket=${socket}`,
          '--metrics-port=off',
        ],
        {
          env: {
            ...process.env,
            NODE_NAME: name,
            TRUNKLINE_LOG_LEVEL: 'warn',
            TRUNKLINE_SERVICEACCOUNT_DIR: files.dir,
            ...files.env,
          },
          stdio: ['ignore', 'ignore', 'pipe'],
        },
      );
      agent.stderr?.on('data', (d: Buffer) => {
        log = (log + d.toString()).slice(-4000);
      });
      nodes.push({ name, netns: ns, socket, kubeconfig, agent, kubelet: new Kubelet(), log: () => log });
      await waitFor(socket, agent, () => log);
    }
  } catch (err) {
    await world.stop();
    throw err;
  }
  return world;
}
