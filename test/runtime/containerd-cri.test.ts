// The kubelet's path: a private containerd 1.6 (Debian's) with its CRI plugin runs our CNI install for
// RunPodSandbox/StopPodSandbox/RemovePodSandbox, driven over the CRI v1 gRPC API. The meta plugin reads
// pods, NADs and SpiderIPPools from the test API server; containerd runs in its own network namespace
// (the node), whose veths are the macvlan masters. Run once with the plugins as processes (no agent)
// and once through the node agent, which runs inside containerd's mount and network namespaces so it
// sees both the socket (/run/trunkline/agent.sock there is the test's own directory) and the netns
// files containerd keeps under its state dir.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { isIP } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { parse } from 'yaml';
import { type PrivateContainerd, startContainerd } from '../helpers/cri/containerd.js';
import { bridgePort, type PortBridge } from '../helpers/cri/port-bridge.js';
import { ipj, Scene } from '../helpers/netns.js';
import { ROOT } from '../helpers/paths.js';
import { type PrivateRoot, privateRoot } from '../helpers/private-root.js';
import { readmeRecipe } from '../helpers/readme.js';
import { type KubeApiServer, startKubeApiServer } from '../kube-apiserver/server.js';
import {
  clusterObjects,
  nodeScene,
  OVERLAY,
  OVERLAY_CIDR,
  pod,
  relayKubeconfig,
  STANDALONE,
} from './cri-scene.js';

const STATUS = 'k8s.v1.cni.cncf.io/network-status';
const scene = new Scene('tlc');
let dir: string;
let node: { name: string; path: string };
let api: KubeApiServer;
let relay: PortBridge;
let ctd: PrivateContainerd;
let root: PrivateRoot;

interface AddrInfo {
  ifname: string;
  link_type: string;
  addr_info: { family: string; local: string; prefixlen: number }[];
}

/** `ip -j` inside the sandbox's network namespace (through the pause process). */
function inSandbox<T>(pid: number, args: string[]): T {
  const r = root.sh(`nsenter -t ${pid} -n ip -j ${args.join(' ')}`);
  assert.equal(r.code, 0, r.out);
  return JSON.parse(r.out) as T;
}

const v4 = (a: AddrInfo[], ifname: string) =>
  a
    .find((x) => x.ifname === ifname)
    ?.addr_info.filter((i) => i.family === 'inet')
    .map((i) => i.local) ?? [];

/** Every address the API server's pools record as allocated, "pool ip pod". */
function poolHolders(): string[] {
  const out: string[] = [];
  for (const p of api.list('spiderpool.spidernet.io/v2beta1', 'SpiderIPPool')) {
    const st = (p as { status?: { allocatedIPs?: string } }).status?.allocatedIPs;
    for (const [ipAddr, h] of Object.entries(JSON.parse(st || '{}') as Record<string, { pod: string }>)) {
      // Our allocator's cursor shares the map (a key that is not an address).
      if (isIP(ipAddr) === 0) continue;
      out.push(`${p.metadata?.name} ${ipAddr} ${h.pod}`);
    }
  }
  return out.sort();
}

const nodeLinks = () =>
  ipj<{ ifname: string }[]>(node.name, ['link', 'show'])
    .map((l) => l.ifname)
    .filter((n) => n !== 'cni0')
    .sort();

function networkStatus(
  name: string,
): { name: string; interface: string; ips: string[]; default?: boolean }[] {
  const p = api.get('v1', 'Pod', 'default', name);
  return JSON.parse(p?.metadata?.annotations?.[STATUS] ?? '[]');
}

function assertNothingLeft(): void {
  assert.deepEqual(poolHolders(), [], 'every address released');
  assert.deepEqual(nodeLinks(), ['lo', 'vlan100', 'vlan200'], 'no link left in the node namespace');
  const results = root.hostPath('var/lib/cni/results');
  assert.deepEqual(existsSync(results) ? readdirSync(results) : [], [], "libcni's cache is empty");
  const meta = root.hostPath('var/lib/cni/multus');
  assert.deepEqual(existsSync(meta) ? readdirSync(meta) : [], [], "the meta plugin's cache is empty");
}

async function runSandbox(name: string, uid: string, attempt = 0) {
  const id = await ctd.cri.runPodSandbox({
    name,
    namespace: 'default',
    uid,
    attempt,
    annotations: (api.get('v1', 'Pod', 'default', name)?.metadata?.annotations ?? {}) as Record<
      string,
      string
    >,
    cgroupParent: ctd.cgroupParent,
  });
  return { id, st: await ctd.cri.status(id) };
}

async function removeSandbox(id: string): Promise<void> {
  await ctd.cri.stop(id);
  await ctd.cri.remove(id);
}

const KUBECONFIG = '/etc/cni/net.d/trunkline.d/trunkline.kubeconfig';

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tlcri-test-'));
  try {
    node = nodeScene(scene).node;
    api = await startKubeApiServer();
    // The deploy's SpiderEndpoint CRD: what a pod held comes back to its next sandbox.
    api.seed([parse(readFileSync(join(ROOT, 'deploy/base/crds/spiderendpoints.yaml'), 'utf8'))]);
    api.seed([
      ...clusterObjects(join(dir, 'host-local')),
      pod('standalone', 'uid-standalone', STANDALONE),
      pod('overlay', 'uid-overlay', OVERLAY),
    ]);
    root = await privateRoot(node.path, dir);
    relay = await bridgePort(node.path, Number(new URL(api.url).port), dir);
    root.write(KUBECONFIG, relayKubeconfig(api.kubeconfigPath, api.url, relay.port));
    const recipe = readmeRecipe('#### containerd (CRI)');
    assert.deepEqual(
      recipe.files.map((f) => f.path),
      ['/etc/cni/net.d/00-trunkline.conflist'],
    );
    assert.ok(recipe.files[0]!.body.includes(KUBECONFIG));
    for (const f of recipe.files) root.write(f.path, f.body);
    for (const cmd of recipe.commands) {
      const r = root.sh(cmd);
      assert.equal(r.code, 0, `${cmd}\n${r.out}`);
    }
    ctd = await startContainerd({
      root,
      env: { TRUNKLINE_LOG_FILE: join(dir, 'plugins.log'), TRUNKLINE_LOG_LEVEL: 'info', NODE_NAME: 'node1' },
    });
  } catch (e) {
    await cleanup();
    throw e;
  }
});

/** Every step runs even when an earlier one fails: nothing may be left on the machine. */
async function cleanup(): Promise<void> {
  const steps: [string, () => unknown][] = [
    ['containerd', () => ctd?.stop()],
    ['private root', () => root?.close()],
    ['relay', () => relay?.close()],
    ['API server', () => api?.stop()],
    ['namespaces', () => scene.cleanup()],
    ['temporary directory', () => rmSync(dir, { recursive: true, force: true })],
  ];
  for (const [what, step] of steps) {
    try {
      await step();
    } catch (e) {
      console.error(`cleanup of ${what} failed: ${String(e)}`);
    }
  }
}

after(cleanup);
function suite(withAgent: boolean) {
  let agent: ChildProcess | undefined;
  let agentLog = '';
  describe(withAgent ? 'through the node agent' : 'plugins as processes (no agent)', () => {
    before(async () => {
      if (!withAgent) return;
      // As the README says: in containerd's namespaces, where the shims' default socket
      // /run/trunkline/agent.sock is and the sandboxes' netns paths resolve.
      agent = spawn(
        'nsenter',
        [
          '-t',
          String(root.pid),
          '-m',
          '-n',
          '--',
          process.execPath,
          '/opt/cni/agent/agent.js',
          '--metrics-port',
          '0',
        ],
        {
          stdio: ['ignore', 'ignore', 'pipe'],
          env: { ...process.env, TRUNKLINE_LOG_LEVEL: 'info', NODE_NAME: 'node1' },
        },
      );
      agent.stderr!.on('data', (c: Buffer) => {
        agentLog += c.toString();
      });
      for (let i = 0; i < 400 && !agentLog.includes('agent ready'); i++) {
        assert.equal(agent.exitCode, null, `agent exited: ${agentLog}`);
        await new Promise((r) => setTimeout(r, 25));
      }
      assert.match(agentLog, /agent ready/);
    });
    after(async () => {
      if (agent?.exitCode === null) {
        agent.kill('SIGTERM');
        await new Promise((r) => agent!.once('exit', r));
      }
    });

    test('the seed standalone pod: eth0 on VLAN 100, net1 on VLAN 200, as PodSandboxStatus reports', async () => {
      const { id, st } = await runSandbox('standalone', 'uid-standalone');
      try {
        assert.equal(st.state, 'SANDBOX_READY');
        const addrs = inSandbox<AddrInfo[]>(st.pid, ['-d', 'addr', 'show']);
        // veth0: the coordinator's (underlay mode) link to the node.
        assert.deepEqual(addrs.map((a) => a.ifname).sort(), ['eth0', 'lo', 'net1', 'veth0']);
        const eth0 = v4(addrs, 'eth0');
        const net1 = v4(addrs, 'net1');
        assert.match(eth0[0] ?? '', /^10\.100\.0\.1[0-4]\d$/);
        assert.match(net1[0] ?? '', /^10\.200\.0\.1[0-4]\d$/);
        assert.equal(st.ip, eth0[0], 'PodSandboxStatus reports the pod IP containerd got from us');
        const def = inSandbox<{ gateway?: string; dev: string }[]>(st.pid, [
          '-4',
          'route',
          'show',
          'default',
        ]);
        assert.deepEqual(
          def.map((r) => [r.gateway, r.dev]),
          [['10.100.0.1', 'eth0']],
        );
        assert.deepEqual(
          networkStatus('standalone').map((s) => [s.name, s.interface, s.ips, s.default ?? false]),
          [
            ['kube-system/macvlan-standalone-vlan100', 'eth0', eth0, true],
            ['kube-system/macvlan-vlan200', 'net1', net1, false],
          ],
        );
        assert.deepEqual(poolHolders(), [
          `vlan100-v4 ${eth0[0]} default/standalone`,
          `vlan200-v4 ${net1[0]} default/standalone`,
        ]);
        if (withAgent) assert.ok(agentLog.includes(id), 'the agent served the ADD');
      } finally {
        await removeSandbox(id);
      }
      assertNothingLeft();
    });

    test('the seed overlay pod: cluster network eth0, macvlan net1 with the coordinator', async () => {
      const { id, st } = await runSandbox('overlay', 'uid-overlay');
      try {
        const addrs = inSandbox<AddrInfo[]>(st.pid, ['-d', 'addr', 'show']);
        const eth0 = v4(addrs, 'eth0');
        const net1 = v4(addrs, 'net1');
        assert.match(eth0[0] ?? '', /^10\.233\.64\.\d+$/, 'eth0 from the cluster network');
        assert.match(net1[0] ?? '', /^10\.200\.0\.1[0-4]\d$/);
        assert.equal(st.ip, eth0[0]);
        const def = inSandbox<{ dev: string }[]>(st.pid, ['-4', 'route', 'show', 'default']);
        assert.deepEqual(
          def.map((r) => r.dev),
          ['eth0'],
          'the default route stays on the cluster network',
        );
        // The coordinator's overlay mode: the overlay's pod CIDR goes out through eth0.
        const main = inSandbox<{ dst: string; dev: string }[]>(st.pid, ['-4', 'route', 'show']);
        assert.ok(
          main.some((r) => r.dst === OVERLAY_CIDR && r.dev === 'eth0') ||
            main.some((r) => r.dev === 'eth0' && r.dst === 'default'),
          JSON.stringify(main),
        );
        assert.deepEqual(
          networkStatus('overlay').map((s) => [s.name, s.interface, s.ips]),
          [
            ['kube-system/cluster-net', 'eth0', eth0],
            ['kube-system/macvlan-overlay-vlan200', 'net1', net1],
          ],
        );
        assert.deepEqual(poolHolders(), [`vlan200-v4 ${net1[0]} default/overlay`]);
      } finally {
        await removeSandbox(id);
      }
      assertNothingLeft();
    });

    test('sandbox restart for the same pod UID: the same addresses come back, held once', async () => {
      const first = await runSandbox('standalone', 'uid-standalone');
      let second: Awaited<ReturnType<typeof runSandbox>> | undefined;
      try {
        const held = poolHolders();
        assert.equal(held.length, 2, held.join('\n'));
        await ctd.cri.stop(first.id);
        // The pod object lives on: its SpiderEndpoint keeps what it held for the next sandbox.
        second = await runSandbox('standalone', 'uid-standalone', 1);
        assert.deepEqual(poolHolders(), held, 'the same addresses, one entry per NIC');
        assert.equal(second.st.ip, first.st.ip, 'PodSandboxStatus reports the same pod IP');
        const ep = api.get('spiderpool.spidernet.io/v2beta1', 'SpiderEndpoint', 'default', 'standalone');
        const cur = (
          ep?.['status'] as { current?: { uid: string; ips: { interface: string; ipv4: string }[] } }
        )?.current;
        assert.equal(cur?.uid, 'uid-standalone');
        assert.deepEqual(
          cur?.ips.map((i) => `${i.interface} ${i.ipv4.split('/')[0]}`),
          held.map((h) => `${h.startsWith('vlan100') ? 'eth0' : 'net1'} ${h.split(' ')[1]}`),
        );
        await ctd.cri.remove(first.id);
        assert.deepEqual(
          poolHolders(),
          held,
          "removing the old sandbox leaves the new one's addresses alone",
        );
      } finally {
        if (second) await removeSandbox(second.id);
        await removeSandbox(first.id).catch(() => {});
      }
      assertNothingLeft();
    });
  });
}

describe('containerd CRI runs the trunkline CNI install', () => {
  test('containerd answers CRI v1', async () => {
    const v = await ctd.cri.version();
    assert.equal(v.runtime_name, 'containerd');
    assert.equal(v.runtime_api_version, 'v1');
  });
  suite(false);
  suite(true);
});
