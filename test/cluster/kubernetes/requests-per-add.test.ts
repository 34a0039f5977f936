// What one IPAM ADD costs the API server when the node agent serves it through its watch-backed
// source: no LIST, no read of pods, namespaces, nodes, NADs or reserved IPs, not even of the pool
// (its cached copy is current; a stale one would cost a 409 and a fresh GET) — only the status
// write. Counted from the test API server's request log.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { get } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, it } from 'node:test';
import { type RunningAgent, startAgent } from '../../../src/agent/agent.js';
import { callAgent } from '../../../src/agent/client.js';
import { selectKernel } from '../../../src/agent/kernel.js';
import { type KubeApiServer, type RequestInfo, startKubeApiServer } from '../../kube-apiserver/server.js';
import { OBJECTS, WEB_UID } from '../contract.js';

let api: KubeApiServer;
let agent: RunningAgent;
let dir: string;
const savedNode = process.env['NODE_NAME'];

before(async () => {
  api = await startKubeApiServer();
  api.seed(OBJECTS);
  dir = mkdtempSync(join(tmpdir(), 'requests-per-add-'));
  process.env['NODE_NAME'] = 'node-a';
  agent = await startAgent({
    socketPath: join(dir, 'agent.sock'),
    metricsPort: 0,
    kernel: await selectKernel('iproute2'),
  });
});
after(async () => {
  await agent.close(5000);
  await api.stop();
  rmSync(dir, { recursive: true, force: true });
  if (savedNode === undefined) delete process.env['NODE_NAME'];
  else process.env['NODE_NAME'] = savedNode;
});

const conf = () =>
  JSON.stringify({
    cniVersion: '1.0.0',
    name: 'vlan100',
    type: 'trunkline-ipam',
    ipam: {
      type: 'trunkline-ipam',
      kubeconfig: api.kubeconfigPath,
      store: { type: 'kubernetes' },
      default_ipv4_ippool: ['vlan100-v4'],
    },
  });

const ipam = (command: string, containerId: string) =>
  callAgent(agent.socketPath, {
    type: 'trunkline-ipam',
    env: {
      CNI_COMMAND: command,
      CNI_CONTAINERID: containerId,
      CNI_NETNS: '/var/run/netns/unused',
      CNI_IFNAME: 'eth0',
      CNI_PATH: '/nonexistent',
      CNI_ARGS: `IgnoreUnknown=1;K8S_POD_NAMESPACE=team-a;K8S_POD_NAME=web;K8S_POD_UID=${WEB_UID}`,
    },
    stdin: conf(),
  });

const readyz = () =>
  new Promise<{ code: number; body: string }>((resolve, reject) => {
    get(`http://127.0.0.1:${agent.metricsPort}/readyz`, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => {
        body += c.toString();
      });
      res.on('end', () => resolve({ code: res.statusCode ?? 0, body }));
    }).on('error', reject);
  });

const describeReq = (r: RequestInfo) =>
  `${r.verb} ${r.plural}${r.name ? `/${r.name}` : ''}${r.subresource ? `/${r.subresource}` : ''}`;

it('an IPAM ADD through the agent makes no LIST: the pool GET and its status write, nothing else', async () => {
  const first = await ipam('ADD', 'ctr-warm');
  assert.equal(first.exitCode, 0, first.stdout.toString());
  // The caches started with that first request; /readyz says when they have listed everything.
  let r = await readyz();
  for (let i = 0; i < 400 && r.code !== 200; i++) {
    assert.match(r.body, /Kubernetes caches not synced|ready/);
    await new Promise((res) => setTimeout(res, 25));
    r = await readyz();
  }
  assert.equal(r.code, 200, r.body);

  const from = api.requests.length;
  const add = await ipam('ADD', 'ctr-1');
  assert.equal(add.exitCode, 0, add.stdout.toString());
  const made = api.requests.slice(from).filter((q) => q.verb !== 'watch');
  assert.deepEqual(made.map(describeReq), ['update spiderippools/vlan100-v4/status']);
  const ip = (JSON.parse(add.stdout.toString()) as { ips: { address: string }[] }).ips[0]?.address;
  const status = api.get('spiderpool.spidernet.io/v2beta1', 'SpiderIPPool', undefined, 'vlan100-v4')
    ?.status as {
    allocatedIPs: string;
  };
  assert.ok(ip !== undefined && ip.split('/')[0]! in JSON.parse(status.allocatedIPs), `${ip} recorded`);

  const delFrom = api.requests.length;
  const del = await ipam('DEL', 'ctr-1');
  assert.equal(del.exitCode, 0, del.stdout.toString());
  const delMade = api.requests.slice(delFrom).filter((q) => q.verb !== 'watch');
  assert.deepEqual(delMade.map(describeReq), ['update spiderippools/vlan100-v4/status']);
});
