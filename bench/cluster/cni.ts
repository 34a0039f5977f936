// The "kubelet" side of one node: CNI ADD and DEL through the meta plugin's C shim (dist/cni/trunkline,
// which forwards to the node's agent), as a runtime executes it, timed per call.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { DIST } from './dist.js';

/** The part of a node the meta plugin's config names. */
interface NodeRef {
  name: string;
  kubeconfig: string;
}

/** What one call needs, plain data (it crosses to the kubelet process). */
export interface CniRequest {
  command: 'ADD' | 'DEL';
  pod: string;
  uid: string;
  netns: string;
  socket: string;
  conf: string;
}

export interface CniCall {
  ok: boolean;
  ms: number;
  ip?: string;
  error?: string;
}

export function metaConf(node: NodeRef, network: string, dir: string): string {
  return JSON.stringify({
    cniVersion: '1.0.0',
    name: 'trunkline',
    type: 'trunkline',
    kubeconfig: node.kubeconfig,
    clusterNetwork: network,
    multusNamespace: 'kube-system',
    binDir: join(DIST, 'cni'),
    cniDir: join(dir, `${node.name}-cache`),
    confDir: join(dir, `${node.name}-confd`),
  });
}

export function cni(req: CniRequest): Promise<CniCall> {
  const { command, conf } = req;
  const cid = `cid-${req.uid}`;
  const env = {
    PATH: process.env['PATH'] ?? '/usr/bin:/bin',
    CNI_COMMAND: command,
    CNI_CONTAINERID: cid,
    CNI_NETNS: `/var/run/netns/${req.netns}`,
    CNI_IFNAME: 'eth0',
    CNI_PATH: join(DIST, 'cni'),
    CNI_ARGS: `IgnoreUnknown=1;K8S_POD_NAMESPACE=bench;K8S_POD_NAME=${req.pod};K8S_POD_INFRA_CONTAINER_ID=${cid};K8S_POD_UID=${req.uid}`,
    TRUNKLINE_AGENT_SOCK: req.socket,
  };
  const t0 = performance.now();
  return new Promise((resolve) => {
    const child = spawn(join(DIST, 'cni', 'trunkline'), [], { env, stdio: ['pipe', 'pipe', 'ignore'] });
    let out = '';
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString();
    });
    child.on('error', (e) => resolve({ ok: false, ms: performance.now() - t0, error: e.message }));
    child.on('close', (code) => {
      const ms = performance.now() - t0;
      if (code !== 0) return resolve({ ok: false, ms, error: out.slice(0, 1500) || `exit ${code}` });
      if (command === 'DEL') return resolve({ ok: true, ms });
      try {
        const r = JSON.parse(out) as { ips?: { address: string }[] };
        const ip = r.ips?.[0]?.address.split('/')[0];
        resolve(ip ? { ok: true, ms, ip } : { ok: false, ms, error: `no address in ${out.slice(0, 200)}` });
      } catch {
        resolve({ ok: false, ms, error: `not JSON: ${out.slice(0, 200)}` });
      }
    });
    child.stdin.end(conf);
  });
}
