// The Kubernetes source as the meta plugin uses it (issue 14 items 16–18), through the node agent
// (watch-backed source) against the test API server, with the reference host-local plugin as the
// delegates (it allocates in its data dir and creates no link) in a real network namespace:
// the pod-UID check before any delegate, an empty result for a pod already deleted, a 404 on the
// network-status write that keeps the network, and Multus's Events on the pod.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type RunningAgent, startAgent } from '../../../src/agent/agent.js';
import { callAgent } from '../../../src/agent/client.js';
import { selectKernel } from '../../../src/agent/kernel.js';
import { Scene } from '../../helpers/netns.js';
import { REF_CNI } from '../../helpers/paths.js';
import { type KubeApiServer, startKubeApiServer } from '../../kube-apiserver/server.js';

let api: KubeApiServer;
let agent: RunningAgent;
let dir: string;
let scene: Scene;
let netns: string;
const savedNode = process.env['NODE_NAME'];

const hostLocal = (name: string, subnet: string) =>
  JSON.stringify({
    cniVersion: '1.0.0',
    name,
    type: 'host-local',
    ipam: { type: 'host-local', dataDir: join(dir, 'ipam'), ranges: [[{ subnet }]] },
  });
const nad = (name: string, subnet: string) => ({
  apiVersion: 'k8s.cni.cncf.io/v1',
  kind: 'NetworkAttachmentDefinition',
  metadata: { name, namespace: 'kube-system' },
  spec: { config: hostLocal(name, subnet) },
});
const pod = (name: string, uid: string, networks?: string) => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: {
    name,
    namespace: 'team-a',
    uid,
    ...(networks ? { annotations: { 'k8s.v1.cni.cncf.io/networks': networks } } : {}),
  },
  spec: { nodeName: 'node-a', containers: [{ name: 'c', image: 'i' }] },
});

before(async () => {
  if (!existsSync(join(REF_CNI, 'host-local'))) throw new Error(`${REF_CNI}/host-local is required`);
  dir = mkdtempSync(join(tmpdir(), 'meta-k8s-'));
  scene = new Scene('mk');
  netns = scene.netns('p').path;
  api = await startKubeApiServer();
  api.seed([
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'team-a' } },
    nad('cluster-net', '10.61.0.0/24'),
    nad('side-net', '10.62.0.0/24'),
    pod('app', 'uid-app', 'kube-system/side-net'),
    pod('recreated', 'uid-now'),
    pod('vanishing', 'uid-vanishing'),
    pod('lost', 'uid-lost', 'kube-system/missing'),
  ]);
  process.env['NODE_NAME'] = 'node-a';
  agent = await startAgent({
    socketPath: join(dir, 'agent.sock'),
    kernel: await selectKernel('iproute2'),
  });
});
after(async () => {
  await agent?.close(5000);
  await api?.stop();
  scene?.cleanup();
  rmSync(dir, { recursive: true, force: true });
  if (savedNode === undefined) delete process.env['NODE_NAME'];
  else process.env['NODE_NAME'] = savedNode;
});

const meta = (command: string, podName: string, uid: string, containerId = `ctr-${podName}`) =>
  callAgent(agent.socketPath, {
    type: 'trunkline',
    env: {
      CNI_COMMAND: command,
      CNI_CONTAINERID: containerId,
      CNI_NETNS: netns,
      CNI_IFNAME: 'eth0',
      CNI_PATH: REF_CNI,
      CNI_ARGS: `IgnoreUnknown=1;K8S_POD_NAMESPACE=team-a;K8S_POD_NAME=${podName};K8S_POD_UID=${uid}`,
    },
    stdin: JSON.stringify({
      cniVersion: '1.0.0',
      name: 'trunkline',
      type: 'trunkline',
      kubeconfig: api.kubeconfigPath,
      clusterNetwork: 'cluster-net',
      binDir: REF_CNI,
      cniDir: join(dir, 'cache'),
      confDir: join(dir, 'confd'),
    }),
  });

/** Addresses host-local holds for a network (one file per address, named by it). */
const held = (network: string) => {
  const d = join(dir, 'ipam', network);
  return existsSync(d) ? readdirSync(d).filter((f) => /^\d+\.\d+\.\d+\.\d+$/.test(f)) : [];
};
const events = (podName: string) =>
  api
    .list('v1', 'Event', 'team-a')
    .map(
      (e) =>
        e as {
          involvedObject: { name: string; uid?: string };
          type: string;
          reason: string;
          message: string;
          source?: { component?: string };
        },
    )
    .filter((e) => e.involvedObject.name === podName);
const json = (r: { stdout: Buffer | string }) => JSON.parse(r.stdout.toString()) as Record<string, unknown>;

describe('meta plugin on the Kubernetes source', () => {
  it('emits AddedInterface per attachment with Multus’s message', async () => {
    const r = await meta('ADD', 'app', 'uid-app');
    assert.equal(r.exitCode, 0, r.stdout.toString());
    const [eth0] = held('cluster-net');
    const [net1] = held('side-net');
    assert.ok(eth0 && net1);
    assert.deepEqual(
      events('app').map((e) => [e.type, e.reason, e.message, e.involvedObject.uid, e.source?.component]),
      [
        [
          'Normal',
          'AddedInterface',
          `Add eth0 [${eth0}/24] from kube-system/cluster-net`,
          'uid-app',
          'trunkline',
        ],
        [
          'Normal',
          'AddedInterface',
          `Add net1 [${net1}/24] from kube-system/side-net`,
          'uid-app',
          'trunkline',
        ],
      ],
    );
    assert.equal((await meta('DEL', 'app', 'uid-app')).exitCode, 0);
    assert.deepEqual([...held('cluster-net'), ...held('side-net')], []);
  });

  it('K8S_POD_UID of another incarnation: refused before any delegate runs', async () => {
    const r = await meta('ADD', 'recreated', 'uid-before');
    assert.notEqual(r.exitCode, 0);
    const err = json(r);
    assert.equal(err['code'], 999);
    assert.match(String(err['msg']), /expected pod UID "uid-before" but got "uid-now" from Kube API/);
    assert.deepEqual(held('cluster-net'), [], 'no delegate ran');
    assert.deepEqual(events('recreated'), []);
  });

  it('a pod already deleted: empty result, nothing attached', async () => {
    const r = await meta('ADD', 'never-existed', 'uid-x');
    assert.equal(r.exitCode, 0, r.stdout.toString());
    assert.deepEqual(json(r), {
      cniVersion: '1.0.0',
      interfaces: [{ name: 'eth0', sandbox: netns }],
      ips: [{ address: '0.0.0.0/0', gateway: '0.0.0.0' }],
      dns: {},
    });
    assert.deepEqual(held('cluster-net'), []);
  });

  it('a 404 on the network-status write (pod deleted meanwhile) keeps the network', async () => {
    // The pod disappears between the attachments and the status write, as a real delete would.
    const remove = api.before((q) => {
      if (q.verb === 'get' && q.plural === 'pods' && q.name === 'vanishing') {
        api.delete('v1', 'Pod', 'team-a', 'vanishing');
      }
      return undefined;
    });
    try {
      const r = await meta('ADD', 'vanishing', 'uid-vanishing');
      assert.equal(r.exitCode, 0, r.stdout.toString());
      const ips = (json(r)['ips'] as { address: string }[]).map((i) => i.address);
      assert.deepEqual(
        ips,
        held('cluster-net').map((a) => `${a}/24`),
        'the address stays held',
      );
    } finally {
      remove();
    }
    assert.equal((await meta('DEL', 'vanishing', 'uid-vanishing')).exitCode, 0);
    assert.deepEqual(held('cluster-net'), []);
  });

  it('a missing NetworkAttachmentDefinition: NoNetworkFound warning on the pod, ADD fails', async () => {
    const r = await meta('ADD', 'lost', 'uid-lost');
    assert.equal(json(r)['code'], 7, r.stdout.toString());
    assert.deepEqual(
      events('lost').map((e) => [e.type, e.reason, e.message]),
      [
        [
          'Warning',
          'NoNetworkFound',
          'cannot find a network-attachment-definition (missing) in namespace (kube-system): network-attachment-definitions.k8s.cni.cncf.io "missing" not found',
        ],
      ],
    );
    assert.deepEqual(held('cluster-net'), []);
  });
});
