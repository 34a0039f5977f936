// The short scenario of the foundation: a "node" namespace with a veth uplink to a "switch" namespace
// holding the VLAN gateway, a pod namespace, a macvlan NIC ADDed through the real plugin process, shown,
// pinged, and DELed. Everything it creates is removed, even on failure.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { addList, delList, type RuntimeConf } from '../cni/conflist.js';
import type { NetConfList, Result } from '../cni/types.js';
import { defaultKernel } from '../kernel/index.js';
import { createNamedNetns, deleteNamedNetns } from '../kernel/namespaces.js';

interface DemoOptions {
  pluginDir: string;
  refDir?: string;
  out?: (line: string) => void;
}

export async function runDemo(opts: DemoOptions): Promise<{ result: Result; ok: boolean }> {
  const say = opts.out ?? ((l: string) => process.stdout.write(`${l}\n`));
  const kernel = defaultKernel();
  const id = randomBytes(2).toString('hex');
  const names = { node: `tl-demo-node-${id}`, sw: `tl-demo-sw-${id}`, pod: `tl-demo-pod-${id}` };
  const data = mkdtempSync(join(tmpdir(), 'trunkline-demo-'));
  const made: string[] = [];
  const step = async <T>(what: string, fn: () => Promise<T>): Promise<T> => {
    const t0 = Date.now();
    const v = await fn();
    say(`  ✓ ${what} (${Date.now() - t0} ms)`);
    return v;
  };
  try {
    say('Trunkline demo: one node, one switch with the VLAN gateway, one pod with a macvlan NIC');
    const [node, sw, pod] = await step('create namespaces node, switch, pod', async () => {
      const paths: string[] = [];
      for (const n of [names.node, names.sw, names.pod]) {
        paths.push(await createNamedNetns(n));
        made.push(n);
      }
      return paths as [string, string, string];
    });
    await step('cable node uplink0 <-> switch sw0, gateway 10.100.0.1/24 on the switch', async () => {
      await kernel.createLink(node, { kind: 'veth', name: 'uplink0', peer: 'sw0', peerNetns: sw });
      await kernel.setLink(node, 'uplink0', { up: true });
      await kernel.batch(sw, [
        { op: 'addAddr', ifname: 'sw0', cidr: '10.100.0.1/24' },
        { op: 'setLink', name: 'sw0', change: { up: true } },
      ]);
    });
    const list: NetConfList = {
      cniVersion: '1.0.0',
      name: 'macvlan-standalone-vlan100',
      plugins: [
        {
          cniVersion: '1.0.0',
          name: 'macvlan-standalone-vlan100',
          type: 'trunkline-macvlan',
          master: 'uplink0',
          mode: 'bridge',
          ipam: {
            type: 'host-local',
            dataDir: data,
            ranges: [[{ subnet: '10.100.0.0/24', gateway: '10.100.0.1' }]],
            routes: [{ dst: '0.0.0.0/0' }],
          },
        },
      ],
    };
    const rt: RuntimeConf = {
      containerId: `demo${id}`,
      netns: pod,
      ifname: 'eth0',
      args: 'IgnoreUnknown=1;K8S_POD_NAMESPACE=default;K8S_POD_NAME=demo',
      path: [opts.pluginDir, ...(opts.refDir ? [opts.refDir] : [])],
      hostNetns: node,
    };
    const result = await step('CNI ADD eth0 (trunkline-macvlan on uplink0, host-local IPAM)', () =>
      addList(list, rt),
    );
    say(`    result: ${JSON.stringify(result)}`);
    const link = await kernel.getLink(pod, 'eth0');
    const addrs = (await kernel.listAddrs(pod, 'eth0'))
      .filter((a) => a.scope === 'global')
      .map((a) => a.cidr);
    const routes = (await kernel.listRoutes(pod, { family: 4 })).map(
      (r) => `${r.dst}${r.gw ? ` via ${r.gw}` : ''} dev ${r.dev}`,
    );
    say(
      `    pod eth0: kind=${link.kind} mode=${link.macvlanMode} mac=${link.mac} mtu=${link.mtu} addrs=${addrs.join(',')}`,
    );
    say(`    pod routes: ${routes.join('; ')}`);
    const ok = await step('pod pings its gateway 10.100.0.1 through the macvlan NIC', () =>
      ping(pod, '10.100.0.1'),
    );
    say(`    ping: ${ok ? 'reachable' : 'UNREACHABLE'}`);
    await step('CNI DEL eth0', () => delList(list, rt, result));
    const left = (await kernel.listLinks(pod)).map((l) => l.name).filter((n) => n !== 'lo');
    say(`    links left in the pod: ${left.length === 0 ? 'none' : left.join(',')}`);
    return { result, ok: ok && left.length === 0 };
  } finally {
    for (const n of made.reverse()) await deleteNamedNetns(n);
    rmSync(data, { recursive: true, force: true });
    say('  ✓ removed everything the demo created');
  }
}

async function ping(netns: string, addr: string): Promise<boolean> {
  const { spawn } = await import('node:child_process');
  return new Promise((resolve) => {
    const p = spawn('nsenter', [`--net=${netns}`, 'ping', '-c', '1', '-W', '2', addr], { stdio: 'ignore' });
    p.on('close', (code) => resolve(code === 0));
    p.on('error', () => resolve(false));
  });
}
