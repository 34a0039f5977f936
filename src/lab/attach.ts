// Pod interfaces, made the way a container runtime makes them: the meta plugin `trunkline` is
// executed in the pod's node namespace with CNI_COMMAND/CNI_CONTAINERID/CNI_NETNS/CNI_IFNAME=eth0,
// CNI_ARGS carrying K8S_POD_NAMESPACE/K8S_POD_NAME/K8S_POD_UID, and the node's config on stdin. It
// reads the pod's annotations from the lab's manifests and runs each NAD's chain itself.
//
// NODE_NAME is set per call: it is how the simulated node tells IPAM its name (a real node's host
// name). Plugin logs go to <stateDir>/cni.log.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { addList, delList } from '../cni/conflist.js';
import { CniError, Code, causedBy } from '../cni/errors.js';
import { parseOutcome } from '../cni/exec.js';
import type { NetConfList, Result } from '../cni/types.js';
import { decodeResult } from '../cni/version.js';
import { tool } from '../kernel/iproute2/run.js';
import { netnsPath } from '../kernel/namespaces.js';
import { CLUSTER_NETWORK, pointIpam } from './files.js';
import { nodeNs, type StatePaths } from './names.js';
import { podAttachments } from './scenario/model.js';
import type { LabPod, Scenario } from './types.js';

const META_PLUGIN = 'trunkline';

export interface AttachContext {
  prefix: string;
  paths: StatePaths;
  pluginDir: string;
  refPluginDir: string;
  /** The meta plugin's config per node (what the runtime passes on stdin). */
  metaConf: (node: string) => Record<string, unknown>;
  /** The node's agent socket, when the lab runs per-node agents (the shims forward to it). */
  agentSocket?: (node: string) => string | undefined;
  timeoutMs?: number;
}

const podArgs = (p: LabPod): string =>
  `IgnoreUnknown=1;K8S_POD_NAMESPACE=${p.namespace};K8S_POD_NAME=${p.name};K8S_POD_INFRA_CONTAINER_ID=${p.containerId};K8S_POD_UID=${p.uid}`;

export const metaPluginBuilt = (pluginDir: string): boolean => existsSync(join(pluginDir, META_PLUGIN));

/** Execute a CNI plugin binary as a runtime does, inside `hostNetns`. */
function runtimeExec(
  file: string,
  env: Record<string, string>,
  stdin: string,
  hostNetns: string,
  timeoutMs = 120_000,
): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const child = spawn(tool('nsenter'), [`--net=${hostNetns}`, file], {
      env: { PATH: process.env['PATH'] ?? '/usr/sbin:/usr/bin:/sbin:/bin', ...env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(causedBy(Code.IoFailure, `cannot execute ${file}`, e));
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (signal)
        return reject(
          new CniError(Code.TryAgainLater, `${file} was killed (${signal}) after ${timeoutMs} ms`),
        );
      try {
        resolve(parseOutcome(file, { exitCode: code ?? 1, stdout: Buffer.concat(out).toString('utf8') }));
      } catch (e) {
        const tail = Buffer.concat(err).toString('utf8').trim().split('\n').slice(-5).join('\n');
        if (e instanceof CniError && tail !== '' && e.details === undefined)
          return reject(new CniError(e.code, e.message, tail, { cause: e }));
        reject(e);
      }
    });
    child.stdin.on('error', () => {});
    child.stdin.end(stdin);
  });
}

function cniEnv(ctx: AttachContext, pod: LabPod, command: 'ADD' | 'DEL'): Record<string, string> {
  return {
    CNI_COMMAND: command,
    CNI_CONTAINERID: pod.containerId,
    CNI_NETNS: netnsPath(pod.netns),
    CNI_IFNAME: 'eth0',
    CNI_ARGS: podArgs(pod),
    CNI_PATH: [ctx.pluginDir, ctx.refPluginDir].join(':'),
    NODE_NAME: pod.node,
    TRUNKLINE_LOG_FILE: join(ctx.paths.root, 'cni.log'),
    // The shims forward to this node's agent; without one they must not reach a host agent (it runs
    // in the host's namespace, not this simulated node's), so they exec the plugins instead.
    ...agentEnv(ctx.agentSocket?.(pod.node)),
  };
}

const agentEnv = (socket: string | undefined): Record<string, string> =>
  socket !== undefined ? { TRUNKLINE_AGENT_SOCK: socket } : { TRUNKLINE_NO_AGENT: '1' };

export async function metaAdd(ctx: AttachContext, pod: LabPod): Promise<Result> {
  const out = await runtimeExec(
    join(ctx.pluginDir, META_PLUGIN),
    cniEnv(ctx, pod, 'ADD'),
    JSON.stringify(ctx.metaConf(pod.node)),
    netnsPath(nodeNs(ctx.prefix, pod.node)),
    ctx.timeoutMs,
  );
  if (out === undefined)
    throw new CniError(
      Code.Internal,
      `${META_PLUGIN} returned no result for ADD of ${pod.namespace}/${pod.name}`,
    );
  return decodeResult(out);
}

export async function metaDel(ctx: AttachContext, pod: LabPod, prevResult?: unknown): Promise<void> {
  const conf = { ...ctx.metaConf(pod.node), ...(prevResult !== undefined ? { prevResult } : {}) };
  await runtimeExec(
    join(ctx.pluginDir, META_PLUGIN),
    cniEnv(ctx, pod, 'DEL'),
    JSON.stringify(conf),
    netnsPath(nodeNs(ctx.prefix, pod.node)),
    ctx.timeoutMs,
  );
}

// ---- FALLBACK (only while dist/cni/trunkline is not built): each attachment's conflist is run
// directly with the CNI core's addList, in Multus order, without the meta plugin. No network-status
// is written, no default-route handling, no overlay-as-default check beyond the lab's validation.
interface FallbackAttachment {
  ifname: string;
  network: string;
  list: NetConfList;
  result?: Result;
}

function fallbackLists(s: Scenario, ctx: AttachContext, pod: LabPod): FallbackAttachment[] {
  const m = s.manifests.find(
    (x) =>
      x.kind === 'Pod' &&
      x.metadata.name === pod.name &&
      (x.metadata.namespace ?? 'default') === pod.namespace,
  )!;
  return podAttachments(m).map((a) => {
    if (a.nad === undefined) {
      const list = JSON.parse(readFileSync(ctx.paths.node(pod.node).clusterConf, 'utf8')) as NetConfList;
      return { ifname: a.ifname, network: CLUSTER_NETWORK, list };
    }
    const [ns, name] = a.nad.split('/') as [string, string];
    const nad = s.manifests.find(
      (x) =>
        x.kind === 'NetworkAttachmentDefinition' &&
        x.metadata.name === name &&
        (x.metadata.namespace ?? 'default') === ns,
    )!;
    const conf = pointIpam(JSON.parse(String(nad.spec?.['config'])), a.nad, ctx.paths);
    const list = (Array.isArray(conf['plugins'])
      ? conf
      : {
          cniVersion: conf['cniVersion'],
          name: conf['name'] ?? name,
          plugins: [conf],
        }) as unknown as NetConfList;
    return { ifname: a.ifname, network: a.nad, list: { ...list, name: list.name ?? name } };
  });
}

export async function fallbackAdd(
  s: Scenario,
  ctx: AttachContext,
  pod: LabPod,
): Promise<FallbackAttachment[]> {
  const done: FallbackAttachment[] = [];
  process.env['NODE_NAME'] = pod.node; // read by IPAM; the fallback attaches one pod at a time
  for (const a of fallbackLists(s, ctx, pod)) {
    a.result = await addList(a.list, fallbackRt(ctx, pod, a.ifname));
    done.push(a);
  }
  return done;
}

export async function fallbackDel(s: Scenario, ctx: AttachContext, pod: LabPod): Promise<void> {
  process.env['NODE_NAME'] = pod.node;
  for (const a of fallbackLists(s, ctx, pod).reverse()) await delList(a.list, fallbackRt(ctx, pod, a.ifname));
}

const fallbackRt = (ctx: AttachContext, pod: LabPod, ifname: string) => ({
  containerId: pod.containerId,
  netns: netnsPath(pod.netns),
  ifname,
  args: podArgs(pod),
  path: [ctx.pluginDir, ctx.refPluginDir],
  hostNetns: netnsPath(nodeNs(ctx.prefix, pod.node)),
});
// ---- END FALLBACK
