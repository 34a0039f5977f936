// Trunkline entering a cluster the way an operator does it, with the real kubectl against the test API
// server (TLS, bearer tokens, RBAC, CRDs): `kubectl apply -k deploy/` and the seed overlay; the node
// DaemonSet's two processes run as its containers would (the install step into temporary host dirs,
// then the agent in the node's network namespace), each with the trunkline-node service account's
// token and CA, bound by its RBAC; pods created with kubectl carry the seed's annotations; CNI ADD/DEL
// go through the installed 00-trunkline.conflist as the runtime would call it. The controller runs as
// its Deployment does (controller-pod.ts): it serves the admission webhook the seed's pools and
// SpiderMultusConfigs must pass (failurePolicy Fail) and generates the seed's NADs from the SMCs.
// The seed's masters
// bond0.100/bond0.200 are veths with those names in a test "node" namespace (the flat variant: the
// bond/VLAN variant needs the VM tier).
import assert from 'node:assert/strict';
import { type ChildProcess, execFile, execFileSync, spawn } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { connect, createServer, isIP, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { parse, stringify } from 'yaml';
import { runCni } from '../helpers/cni.js';
import { ip, ipj, links, Scene } from '../helpers/netns.js';
import { REF_CNI, ROOT } from '../helpers/paths.js';
import { type KubeApiServer, startKubeApiServer } from '../kube-apiserver/server.js';
import { type ControllerPod, runControllerPod } from './controller-pod.js';
import { DEPLOY, KUBECTL } from './render.js';

const SA = 'system:serviceaccount:kube-system:trunkline-node';
const CONTROLLER_SA = 'system:serviceaccount:kube-system:trunkline-controller';
const STATUS = 'k8s.v1.cni.cncf.io/network-status';

let api: KubeApiServer;
let scene: Scene;
let dir: string;
let node: { name: string; path: string };
let agent: ChildProcess | undefined;
let relay: ChildProcess | undefined;
let relayServer: Server | undefined;
let agentLog = '';
let controller: ControllerPod | undefined;
const pods = new Map<string, { uid: string; netns: { name: string; path: string }; cid: string }>();

/** Asynchronous: the API server answers from this same process. */
function kubectl(args: string[], input?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      KUBECTL,
      ['--kubeconfig', api.kubeconfigPath, ...args],
      { maxBuffer: 16 << 20 },
      (err, stdout, stderr) =>
        err
          ? reject(new Error(`kubectl ${args.join(' ')}: ${stderr || err.message}`, { cause: err }))
          : resolve(stdout),
    );
    child.stdin?.end(input ?? '');
  });
}

const bin = () => join(dir, 'host/opt/cni/bin');
const confDir = () => join(dir, 'host/etc/cni/net.d');

async function cni(command: 'ADD' | 'DEL', pod: string) {
  const p = pods.get(pod)!;
  const list = JSON.parse(readFileSync(join(confDir(), '00-trunkline.conflist'), 'utf8'));
  const conf = { cniVersion: list.cniVersion, name: list.name, ...list.plugins[0] };
  return runCni(
    join(bin(), conf.type),
    {
      command,
      containerId: p.cid,
      netns: p.netns.path,
      ifname: 'eth0',
      args: `IgnoreUnknown=1;K8S_POD_NAMESPACE=default;K8S_POD_NAME=${pod};K8S_POD_INFRA_CONTAINER_ID=${p.cid};K8S_POD_UID=${p.uid}`,
      path: [bin()],
      extraEnv: { TRUNKLINE_AGENT_SOCK: join(dir, 'host/run/trunkline/agent.sock') },
    },
    conf,
    node.path,
  );
}

/** `kubectl get spiderippools` as printed: one row per pool, keyed by column header. */
async function poolTable(): Promise<Record<string, Record<string, string>>> {
  const [head, ...rows] = (await kubectl(['get', 'spiderippools'])).trim().split('\n');
  const cols = head!.trim().split(/\s+/);
  return Object.fromEntries(
    rows.map((r) => {
      const cells = r.trim().split(/\s+/);
      return [cells[0]!, Object.fromEntries(cols.map((c, i) => [c, cells[i] ?? '']))];
    }),
  );
}

const inet = (ns: string, dev: string) =>
  ipj<{ addr_info: { family: string; local: string }[] }[]>(ns, ['addr', 'show', 'dev', dev])[0]!
    .addr_info.filter((a) => a.family === 'inet')
    .map((a) => a.local);

/**
 * A hostNetwork pod reaches the API server from the node's network namespace; here the server listens
 * on the test process's loopback. Unix socket paths are not per namespace, so a listener on the node
 * namespace's 127.0.0.1:<port> relays each connection over one to the server (TLS passes through).
 */
async function relayApiIntoNode(): Promise<void> {
  const port = Number(new URL(api.url).port);
  const path = join(dir, 'api.sock');
  relayServer = createServer((c) => {
    const up = connect(port, '127.0.0.1');
    c.on('error', () => up.destroy());
    up.on('error', () => c.destroy());
    c.pipe(up).pipe(c);
  }).listen(path);
  const script = `const net=require('net');net.createServer((c)=>{const u=net.connect(${JSON.stringify(path)});c.on('error',()=>u.destroy());u.on('error',()=>c.destroy());c.pipe(u).pipe(c)}).listen(${port},'127.0.0.1',()=>console.log('ready'))`;
  relay = spawn('nsenter', [`--net=${node.path}`, process.execPath, '-e', script], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await new Promise<void>((resolve, reject) => {
    relay!.stdout!.once('data', () => resolve());
    relay!.once('exit', (code) => reject(new Error(`API relay exited with ${code}`)));
  });
}

before(async () => {
  api = await startKubeApiServer();
  scene = new Scene('tld');
  dir = mkdtempSync(join(tmpdir(), 'tl-e2e-'));
  node = scene.netns('n');
  const sw = scene.netns('sw');
  for (const [master, cidr] of [
    ['bond0.100', '10.100.0.11/24'],
    ['bond0.200', '10.200.0.11/24'],
  ] as const) {
    const peer = `p${master.slice(-3)}`;
    ip(['-n', node.name, 'link', 'add', master, 'type', 'veth', 'peer', 'name', peer, 'netns', sw.name]);
    ip(['-n', node.name, 'link', 'set', master, 'up']);
    ip(['-n', sw.name, 'link', 'set', peer, 'up']);
    ip(['-n', node.name, 'addr', 'add', cidr, 'dev', master]);
  }
  await relayApiIntoNode();
  // The node as the cluster left it: the default network's plugins and config.
  for (const d of [
    'host/opt/cni/bin',
    'host/etc/cni/net.d',
    'host/var/lib/trunkline',
    'host/run/trunkline',
    'host-local',
    'cache',
  ])
    mkdirSync(join(dir, d), { recursive: true });
  for (const p of ['ptp', 'host-local']) copyFileSync(join(REF_CNI, p), join(bin(), p));
  writeFileSync(
    join(confDir(), '10-default.conflist'),
    JSON.stringify({
      cniVersion: '1.0.0',
      name: 'k8s-pod-network',
      plugins: [
        {
          type: 'ptp',
          ipam: {
            type: 'host-local',
            ranges: [[{ subnet: '10.233.64.0/24' }]],
            dataDir: join(dir, 'host-local'),
          },
        },
      ],
    }),
  );
});

after(async () => {
  await controller?.stop();
  agent?.kill('SIGTERM');
  if (agent && agent.exitCode === null) await new Promise((r) => agent!.once('exit', r));
  relay?.kill('SIGKILL');
  relayServer?.close();
  scene?.cleanup();
  await api?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('deploy end to end with the real kubectl', () => {
  it('kubectl apply -k deploy/; without the controller the webhook refuses pools', async () => {
    await kubectl(['apply', '-k', DEPLOY]);
    await kubectl([
      'wait',
      '--for=condition=Established',
      '--timeout=60s',
      'crd/spiderippools.spiderpool.spidernet.io',
      'crd/network-attachment-definitions.k8s.cni.cncf.io',
    ]);
    await assert.rejects(
      kubectl(['apply', '-k', join(DEPLOY, 'overlays', 'seed')]),
      /failed calling webhook "ippool\.(mutate|validate)\.trunkline\.io"/,
    );
  });

  it('the controller starts as its Deployment runs it and serves the webhook', async () => {
    controller = await runControllerPod(api, 'trunkline-controller-e2e');
    for (let i = 0; i < 300 && !(await controller.ready()); i++) await sleep(100);
    assert.ok(await controller.ready(), `controller ready: ${controller.logs()}`);
    const secret = JSON.parse(
      await kubectl(['-n', 'kube-system', 'get', 'secret', 'trunkline-webhook-tls', '-o', 'json']),
    );
    const ca = Buffer.from(secret.data['ca.crt'], 'base64').toString();
    const vwc = JSON.parse(
      await kubectl(['get', 'validatingwebhookconfiguration', 'trunkline', '-o', 'json']),
    );
    for (const w of vwc.webhooks as { clientConfig: { caBundle: string } }[])
      assert.ok(Buffer.from(w.clientConfig.caBundle, 'base64').toString().includes(ca.trim()));
  });

  it('the seed overlay: pools and SpiderMultusConfigs admitted, the controller writes the NADs', async () => {
    await kubectl(['apply', '-k', join(DEPLOY, 'overlays', 'seed')]);
    const want = ['standalone-vlan100', 'overlay-vlan100', 'standalone-vlan200', 'overlay-vlan200'].map(
      (n) => `macvlan-${n}`,
    );
    let nads: string[] = [];
    for (let i = 0; i < 300 && want.some((n) => !nads.includes(n)); i++) {
      nads = (await kubectl(['get', 'nad', '-n', 'kube-system', '-o', 'name']))
        .split('\n')
        .map((l) => l.split('/')[1]!);
      await sleep(100);
    }
    assert.deepEqual(nads.filter((n) => want.includes(n)).sort(), [...want].sort(), controller?.logs());
    const overlay = JSON.parse(
      await kubectl(['get', 'nad', '-n', 'kube-system', 'macvlan-overlay-vlan200', '-o', 'json']),
    );
    assert.equal(overlay.metadata.ownerReferences?.[0]?.kind, 'SpiderMultusConfig');
    assert.equal(JSON.parse(overlay.spec.config).plugins[0].master, 'bond0.200');
    assert.deepEqual(Object.keys(await poolTable()).sort(), ['vlan100-v4', 'vlan200-v4']);
    assert.match(
      await kubectl(['-n', 'kube-system', 'get', 'ds', 'trunkline-node', '-o', 'name']),
      /daemonset.apps\/trunkline-node/,
    );
  });

  it('the install step fills the host dirs with the service account token and CA', () => {
    const files = api.inCluster('kube-system', 'trunkline-node');
    execFileSync(
      process.execPath,
      [
        join(ROOT, 'dist/bin/trunkline'),
        'install',
        `--source=${join(ROOT, 'dist')}`,
        `--bin-dir=${bin()}`,
        `--conf-dir=${confDir()}`,
        `--state-dir=${join(dir, 'host/var/lib/trunkline')}`,
        `--service-account-dir=${files.dir}`,
        `--cni-dir=${join(dir, 'cache')}`,
        '--wait-seconds=0',
      ],
      { env: { ...process.env, ...files.env }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const list = JSON.parse(readFileSync(join(confDir(), '00-trunkline.conflist'), 'utf8'));
    assert.equal(list.plugins[0].clusterNetwork, join(confDir(), '10-default.conflist'));
    const kc = parse(readFileSync(list.plugins[0].kubeconfig, 'utf8'));
    assert.equal(kc.users[0].user.token, readFileSync(join(files.dir, 'token'), 'utf8').trim());
    assert.equal(kc.clusters[0].cluster.server, api.url);
  });

  it('the agent starts in the node namespace and serves the shims', async () => {
    agent = spawn(
      'nsenter',
      [
        `--net=${node.path}`,
        process.execPath,
        join(dir, 'host/opt/cni/agent/agent.js'),
        `--socket=${join(dir, 'host/run/trunkline/agent.sock')}`,
        '--metrics-port=off',
      ],
      {
        env: { ...process.env, NODE_NAME: 'node1', ...api.inCluster('kube-system', 'trunkline-node').env },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    agent.stdout?.on('data', (d) => (agentLog += d));
    agent.stderr?.on('data', (d) => (agentLog += d));
    for (let i = 0; i < 300 && !existsSync(join(dir, 'host/run/trunkline/agent.sock')); i++) {
      assert.equal(agent.exitCode, null, `agent exited: ${agentLog}`);
      await sleep(100);
    }
    assert.ok(existsSync(join(dir, 'host/run/trunkline/agent.sock')), `agent socket: ${agentLog}`);
  });

  it('pods created with kubectl get addresses from the right pools through 00-trunkline.conflist', async () => {
    await kubectl(
      ['apply', '-f', '-'],
      [
        pod('standalone-a', {
          'v1.multus-cni.io/default-network': 'kube-system/macvlan-standalone-vlan100',
          'ipam.spidernet.io/ippool': '{"ipv4": ["vlan100-v4"]}',
        }),
        pod('overlay-a', {
          'k8s.v1.cni.cncf.io/networks': 'kube-system/macvlan-overlay-vlan200',
          'ipam.spidernet.io/ippools':
            '[{"interface": "net1", "ipv4": ["vlan200-v4"], "cleangateway": true}]',
        }),
      ].join('---\n'),
    );
    for (const name of ['standalone-a', 'overlay-a']) {
      const uid = JSON.parse(await kubectl(['get', 'pod', name, '-o', 'json'])).metadata.uid as string;
      pods.set(name, {
        uid,
        netns: scene.netns(`p${pods.size}`),
        cid: `tl${name.replace('-', '')}${uid.slice(0, 8)}`,
      });
      const r = await cni('ADD', name);
      assert.equal(r.code, 0, `ADD ${name}: ${r.stdout}${r.stderr}\n${agentLog}`);
    }
    const inRange = (a: string, prefix: string) =>
      a.startsWith(prefix) && Number(a.split('.')[3]) >= 100 && Number(a.split('.')[3]) <= 199;
    const s = pods.get('standalone-a')!.netns.name;
    assert.ok(
      inet(s, 'eth0').some((a) => inRange(a, '10.100.0.')),
      `standalone-a eth0: ${inet(s, 'eth0')}`,
    );
    const o = pods.get('overlay-a')!.netns.name;
    assert.ok(
      inet(o, 'eth0').some((a) => a.startsWith('10.233.64.')),
      `overlay-a eth0 from the default network: ${inet(o, 'eth0')}`,
    );
    assert.ok(
      inet(o, 'net1').some((a) => inRange(a, '10.200.0.')),
      `overlay-a net1: ${inet(o, 'net1')}`,
    );

    const table = await poolTable();
    assert.equal(table['vlan100-v4']!['SUBNET'], '10.100.0.0/24');
    assert.equal(table['vlan100-v4']!['ALLOCATED-IP-COUNT'], '1');
    assert.equal(table['vlan200-v4']!['ALLOCATED-IP-COUNT'], '1');

    const status = JSON.parse(
      JSON.parse(await kubectl(['get', 'pod', 'overlay-a', '-o', 'json'])).metadata.annotations[STATUS],
    );
    const net1 = status.find((n: { interface?: string }) => n.interface === 'net1');
    assert.equal(net1.name, 'kube-system/macvlan-overlay-vlan200');
    assert.deepEqual(net1.ips, inet(o, 'net1'));
  });

  it('after DEL and pod deletion nothing is held', async () => {
    for (const name of ['standalone-a', 'overlay-a']) {
      const r = await cni('DEL', name);
      assert.equal(r.code, 0, `DEL ${name}: ${r.stdout}${r.stderr}`);
      assert.deepEqual(links(pods.get(name)!.netns.name), ['lo']);
    }
    await kubectl(['delete', 'pod', 'standalone-a', 'overlay-a', '--wait=false']);
    const table = await poolTable();
    assert.equal(table['vlan100-v4']!['ALLOCATED-IP-COUNT'], '0');
    assert.equal(table['vlan200-v4']!['ALLOCATED-IP-COUNT'], '0');
    for (const p of ['vlan100-v4', 'vlan200-v4']) {
      const allocated =
        JSON.parse(await kubectl(['get', 'spiderippool', p, '-o', 'json'])).status?.allocatedIPs ?? '{}';
      // The store keeps its next-fit cursor beside the entries; no address may be held.
      assert.deepEqual(
        Object.keys(JSON.parse(allocated || '{}')).filter((k) => isIP(k) !== 0),
        [],
        p,
      );
    }
    assert.deepEqual(links(node.name).sort(), ['bond0.100', 'bond0.200', 'lo'], 'no stray link on the node');
  });

  for (const [who, sa, component] of [
    ['node', SA, 'node'],
    ['controller', CONTROLLER_SA, 'controller'],
  ] as const) {
    it(`every API call the ${who} made was allowed by its RBAC and is on its needs list`, () => {
      const made = api.requests.filter((r) => r.user?.username === sa);
      assert.ok(made.length > 0, `the ${who} talked to the API as its service account`);
      const needs = (
        parse(readFileSync(join(DEPLOY, `base/${component}/needs.yaml`), 'utf8')) as {
          needs: { group: string; resource: string; verbs: string[] }[];
        }
      ).needs;
      for (const r of made) {
        // Discovery (/apis/GROUP/VERSION) names no resource: every authenticated user may read it.
        if (r.plural === undefined) continue;
        const resource = r.subresource ? `${r.plural}/${r.subresource}` : r.plural;
        assert.equal(r.allowed, true, `${r.verb} ${r.path} was denied`);
        assert.notEqual(r.code, 403);
        assert.ok(
          needs.some((n) => n.group === r.apiGroup && n.resource === resource && n.verbs.includes(r.verb)),
          `${r.verb} ${r.apiGroup}/${resource} (${r.path}) is not on deploy/base/${component}/needs.yaml`,
        );
      }
    });
  }
});

describe('controller stopped: the webhook is down', () => {
  it('system-namespace and other pods are admitted (Ignore), pools refused (Fail)', async () => {
    await controller?.stop();
    controller = undefined;
    const sys = stringify({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        name: 'sys-while-down',
        namespace: 'kube-system',
        annotations: { 'k8s.v1.cni.cncf.io/networks': 'no-such-network' },
      },
      spec: { containers: [{ name: 'app', image: 'busybox' }] },
    });
    await kubectl(['apply', '-f', '-'], sys);
    await kubectl(
      ['apply', '-f', '-'],
      pod('user-while-down', { 'k8s.v1.cni.cncf.io/networks': 'kube-system/macvlan-overlay-vlan200' }),
    );
    await assert.rejects(
      kubectl(
        ['apply', '-f', '-'],
        stringify({
          apiVersion: 'spiderpool.spidernet.io/v2beta1',
          kind: 'SpiderIPPool',
          metadata: { name: 'while-down' },
          spec: { subnet: '10.150.0.0/24', ips: ['10.150.0.10'] },
        }),
      ),
      /failed calling webhook "ippool\.(mutate|validate)\.trunkline\.io"/,
    );
    await kubectl(['delete', 'pod', 'user-while-down', '--wait=false']);
    await kubectl(['-n', 'kube-system', 'delete', 'pod', 'sys-while-down', '--wait=false']);
  });
});

function pod(name: string, annotations: Record<string, string>): string {
  return stringify({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default', annotations },
    spec: { nodeName: 'node1', containers: [{ name: 'app', image: 'busybox' }] },
  });
}
