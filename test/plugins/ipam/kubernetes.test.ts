// Two "nodes" allocating from one SpiderIPPool through the Kubernetes API at once, each call a real
// trunkline-ipam process reading the pool and recording its allocation in the pool's status, as
// Spiderpool does: no address twice, status consistent, everything released by DEL.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runCni } from '../../helpers/cni.js';
import { DIST_CNI } from '../../helpers/paths.js';
import { type KubeApiServer, startKubeApiServer } from '../../kube-apiserver/server.js';

const API = 'spiderpool.spidernet.io/v2beta1';
const PODS = 12;
let api: KubeApiServer;

before(async () => {
  api = await startKubeApiServer();
  api.seed([
    {
      apiVersion: API,
      kind: 'SpiderIPPool',
      metadata: { name: 'vlan100-v4' },
      spec: {
        ipVersion: 4,
        subnet: '10.100.0.0/24',
        ips: ['10.100.0.10-10.100.0.40'],
        gateway: '10.100.0.1',
        default: true,
      },
    },
    ...Array.from({ length: PODS }, (_, i) => ({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: `p${i}`, namespace: 'default', uid: `uid-p${i}` },
      spec: { nodeName: `node${(i % 2) + 1}` },
    })),
  ]);
});
after(() => api.stop());

function status() {
  const st = api.get(API, 'SpiderIPPool', undefined, 'vlan100-v4')?.status as
    | { allocatedIPs?: string; allocatedIPCount?: number }
    | undefined;
  const map = JSON.parse(st?.allocatedIPs ?? '{}') as Record<string, { pod?: string; podUid?: string }>;
  const ips = Object.fromEntries(Object.entries(map).filter(([k]) => /^\d/.test(k)));
  return { ips, count: st?.allocatedIPCount ?? 0 };
}

const conf = () => ({
  cniVersion: '1.1.0',
  name: 'vlan100',
  type: 'trunkline-macvlan',
  ipam: { type: 'trunkline-ipam', kubeconfig: api.kubeconfigPath, store: { type: 'kubernetes' } },
});
const call = (command: string, i: number) => ({
  command,
  containerId: `ctr-p${i}`,
  netns: '/var/run/netns/unused',
  ifname: 'eth0',
  args: `IgnoreUnknown=1;K8S_POD_NAMESPACE=default;K8S_POD_NAME=p${i};K8S_POD_UID=uid-p${i}`,
  path: [DIST_CNI],
  extraEnv: { NODE_NAME: `node${(i % 2) + 1}`, TRUNKLINE_AGENT_SOCK: '/nonexistent/agent.sock' },
});

describe('trunkline-ipam on the Kubernetes store, two nodes at once', () => {
  it('hands out distinct addresses and records exactly those holders in the pool status', async () => {
    const runs = await Promise.all(
      Array.from({ length: PODS }, (_, i) =>
        runCni(join(DIST_CNI, 'trunkline-ipam'), call('ADD', i), conf()),
      ),
    );
    const addrs = runs.map((r, i) => {
      assert.equal(r.code, 0, `p${i}: ${r.stdout}`);
      return ((r.json?.['ips'] as { address: string }[] | undefined)?.[0]?.address ?? '').split('/')[0]!;
    });
    assert.equal(new Set(addrs).size, PODS, `distinct: ${addrs.join(' ')}`);
    const st = status();
    assert.equal(st.count, PODS);
    assert.deepEqual(Object.keys(st.ips).sort(), [...addrs].sort());
    for (const [i, ip] of addrs.entries()) assert.equal(st.ips[ip]?.pod, `default/p${i}`);

    const dels = await Promise.all(
      Array.from({ length: PODS }, (_, i) =>
        runCni(join(DIST_CNI, 'trunkline-ipam'), call('DEL', i), conf()),
      ),
    );
    for (const d of dels) assert.equal(d.code, 0, d.stdout);
    assert.deepEqual(status(), { ips: {}, count: 0 });
  });
});
