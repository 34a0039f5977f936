// The seed's wiring for real-kernel tests: a node namespace with two NICs (veth ends) cabled to a
// switch namespace — a vlan_filtering bridge whose ports are trunks for VLAN 100 and 200, with the
// gateways 10.100.0.1/24 and 10.200.0.1/24 on VLAN interfaces of the bridge. Needs the 8021q and
// bridge modules (the VM tier), so only kernel-in-vm.test.ts uses it.
import { execFile, spawn } from 'node:child_process';
import { promisify } from 'node:util';
import { ipj, makeNetns, type TestNetns } from '../helpers/netns.js';

export const PREFIX = 'tv';
export const GATEWAYS = { 100: '10.100.0.1', 200: '10.200.0.1' } as const;

export interface Scene {
  node: TestNetns;
  sw: TestNetns;
  nics: [string, string];
  cleanup(): Promise<void>;
}

/** Feed `lines` to `TOOL -n NS -batch -` (one process for many commands: spawns are slow under TCG). */
export function batch(tool: 'ip' | 'bridge', ns: string, lines: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(tool, ['-n', ns, '-batch', '-'], { stdio: ['pipe', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.setEncoding('utf8').on('data', (c: string) => {
      err += c;
    });
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0 ? resolve() : reject(new Error(`${tool} -n ${ns} -batch failed (${code}): ${err.trim()}`)),
    );
    child.stdin.end(`${lines.join('\n')}\n`);
  });
}

/**
 * The switch: br0 (vlan_filtering, per-port per-VLAN counters) with the gateways on br0.100 and
 * br0.200 and forwarding between them.
 */
export async function makeSwitch(sw: TestNetns): Promise<void> {
  const gw = (vid: 100 | 200) => [
    `link add link br0 name br0.${vid} type vlan id ${vid}`,
    `addr add ${GATEWAYS[vid]}/24 dev br0.${vid}`,
    `link set br0.${vid} up`,
  ];
  await batch('ip', sw.name, [
    'link add br0 type bridge vlan_filtering 1 vlan_stats_enabled 1 vlan_stats_per_port 1',
    'link set br0 up',
    ...gw(100),
    ...gw(200),
  ]);
  await batch('bridge', sw.name, ['vlan add dev br0 vid 100 self', 'vlan add dev br0 vid 200 self']);
  await exec(sw.name, 'sysctl', ['-qw', 'net.ipv4.ip_forward=1']);
}

/**
 * Cable NICs of `node` to new trunk ports of the switch (`cables`: node-side name → switch-side
 * name). Trunk ports carry VLAN 100 and 200 tagged and nothing untagged (no PVID), so a frame
 * only gets through with the right tag.
 */
export async function cable(node: TestNetns, sw: TestNetns, cables: [string, string][]): Promise<void> {
  await batch('ip', node.name, [
    ...cables.map(([nic, port]) => `link add ${nic} type veth peer name ${port} netns ${sw.name}`),
    ...cables.map(([nic]) => `link set ${nic} up`),
  ]);
  await batch(
    'ip',
    sw.name,
    cables.flatMap(([, port]) => [`link set ${port} master br0`, `link set ${port} up`]),
  );
  await batch(
    'bridge',
    sw.name,
    cables.flatMap(([, port]) => [
      `vlan add dev ${port} vid 100`,
      `vlan add dev ${port} vid 200`,
      `vlan del dev ${port} vid 1`,
    ]),
  );
}

export async function makeScene(): Promise<Scene> {
  const node = await makeNetns(PREFIX);
  const sw = await makeNetns(PREFIX).catch(async (e) => {
    await node.cleanup();
    throw e;
  });
  const cleanup = async () => {
    await node.cleanup();
    await sw.cleanup();
  };
  try {
    await makeSwitch(sw);
    await cable(node, sw, [
      ['ens224', 'p224'],
      ['ens256', 'p256'],
    ]);
  } catch (e) {
    await cleanup();
    throw e;
  }
  return { node, sw, nics: ['ens224', 'ens256'], cleanup };
}

/** Run a command inside a namespace (`ip netns exec`), asynchronously: pings may run side by side. */
export async function exec(ns: string, cmd: string, args: string[]): Promise<string> {
  return (await promisify(execFile)('ip', ['netns', 'exec', ns, cmd, ...args], { encoding: 'utf8' })).stdout;
}

export async function pings(ns: string, dst: string, count = 1): Promise<boolean> {
  return exec(ns, 'ping', ['-n', '-c', String(count), '-W', '2', dst]).then(
    () => true,
    () => false,
  );
}

// biome-ignore lint/suspicious/noExplicitAny: ip -j output, indexed freely
type J = Record<string, any>;

const OPER_FLAGS = new Set(['LOWER_UP', 'NO-CARRIER', 'M-DOWN']);
const omit = (o: Record<string, unknown> | undefined, drop: (k: string) => boolean) =>
  o === undefined ? undefined : Object.fromEntries(Object.entries(o).filter(([k]) => !drop(k)));

/**
 * Everything observable about the namespace's links and addresses, minus carrier-dependent flags
 * and LACP negotiation state: two equal snapshots mean the configuration is exactly the same.
 * withIndex: also compare ifindex (false when links may have been recreated).
 */
export async function snapshot(ns: string, withIndex = true): Promise<unknown> {
  const links = ipj(ns, ['-d', 'link', 'show']);
  const addrs = ipj(ns, ['addr', 'show']);
  return {
    links: [...links]
      .sort((a: J, b: J) => String(a['ifname']).localeCompare(String(b['ifname'])))
      .map((l: J) => ({
        ...(withIndex ? { ifindex: l['ifindex'] } : {}),
        ifname: l['ifname'],
        flags: (l['flags'] as string[]).filter((f) => !OPER_FLAGS.has(f)),
        mtu: l['mtu'],
        address: l['address'],
        master: l['master'],
        link: l['link'],
        kind: l['linkinfo']?.['info_kind'],
        data: omit(l['linkinfo']?.['info_data'], (k) => k === 'ad_info'),
        port: omit(
          l['linkinfo']?.['info_slave_data'],
          (k) => k.startsWith('ad_') || k === 'link_failure_count',
        ),
      })),
    addrs: addrs.flatMap((a: J) =>
      (a['addr_info'] as J[])
        .filter((x) => x['scope'] === 'global')
        .map((x) => `${a['ifname']} ${x['local']}/${x['prefixlen']}`),
    ),
  };
}
