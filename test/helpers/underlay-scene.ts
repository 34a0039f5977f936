// An underlay lab in namespaces: a "switch" namespace holding a Linux bridge with the VLAN gateway
// (10.10.0.1/24) and a routed remote subnet (10.20.0.0/24, one client at .9), N "nodes" cabled to the
// bridge (10.10.0.1N/24, forwarding on, a Calico-like overlay: pod CIDR 10.244.N.0/24 whose pods
// hang off a veth with a /32 route and proxy ARP for 169.254.1.1), optional nftables Services, and
// per-node wrappers so a conflist runner executes our plugins inside a node namespace.
import { execFile, execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ip, ipj, Scene } from './netns.js';
import { DIST_CNI } from './paths.js';

const execFileP = promisify(execFile);

export const SUBNET = '10.10.0.0/24';
export const GATEWAY = '10.10.0.1';
export const REMOTE_CLIENT = '10.20.0.9';

export interface SceneNode {
  index: number;
  name: string;
  path: string;
  ip: string;
  podCidr: string;
  /** Directory of wrappers running our plugins inside this node (put it first on CNI_PATH). */
  bin: string;
}

export interface Ns {
  name: string;
  path: string;
}

export function sysctlIn(ns: string, key: string, value: string): void {
  execFileSync('ip', ['netns', 'exec', ns, 'sysctl', '-q', '-w', `${key}=${value}`]);
}

/** One ICMP echo from `ns` to `dst`: true when answered. */
export async function ping(
  ns: string,
  dst: string,
  opts: { count?: number; src?: string } = {},
): Promise<boolean> {
  const argv = [
    'netns',
    'exec',
    ns,
    'ping',
    '-n',
    '-q',
    '-c',
    String(opts.count ?? 1),
    '-i',
    '0.2',
    '-W',
    '2',
  ];
  if (opts.src) argv.push('-I', opts.src);
  try {
    await execFileP('ip', [...argv, dst]);
    return true;
  } catch {
    return false;
  }
}

/** TX/RX packet counters of a link. */
export function counters(ns: string, dev: string): { tx: number; rx: number } {
  const [l] = ipj<{ stats64: { tx: { packets: number }; rx: { packets: number } } }[]>(ns, [
    '-s',
    'link',
    'show',
    'dev',
    dev,
  ]);
  return { tx: l?.stats64.tx.packets ?? 0, rx: l?.stats64.rx.packets ?? 0 };
}

export class UnderlayScene {
  private readonly scene: Scene;
  readonly nodes: SceneNode[] = [];
  readonly work = mkdtempSync(join(tmpdir(), 'tc-scene-'));
  private ports = 0;
  private overlayPods = 0;
  sw!: Ns;
  remote!: Ns;

  constructor(readonly prefix = 'tc') {
    this.scene = new Scene(prefix);
  }

  get id(): string {
    return this.scene.id;
  }

  netns(tag: string): Ns {
    return this.scene.netns(tag);
  }

  /** Cables `ns` (interface `ifname`) to the bridge. */
  private cable(ns: string, ifname: string): void {
    const port = `tcsw${++this.ports}`;
    ip(['-n', this.sw.name, 'link', 'add', port, 'type', 'veth', 'peer', 'name', ifname, 'netns', ns]);
    ip(['-n', this.sw.name, 'link', 'set', port, 'master', 'tcbr0', 'up']);
    ip(['-n', ns, 'link', 'set', ifname, 'up']);
  }

  build(nodeCount = 2): this {
    this.sw = this.netns('sw');
    ip(['-n', this.sw.name, 'link', 'add', 'tcbr0', 'type', 'bridge']);
    ip(['-n', this.sw.name, 'link', 'set', 'tcbr0', 'up']);
    ip(['-n', this.sw.name, 'addr', 'add', `${GATEWAY}/24`, 'dev', 'tcbr0']);
    sysctlIn(this.sw.name, 'net.ipv4.ip_forward', '1');
    this.remote = this.netns('rc');
    ip([
      '-n',
      this.sw.name,
      'link',
      'add',
      'tcrem0',
      'type',
      'veth',
      'peer',
      'name',
      'eth0',
      'netns',
      this.remote.name,
    ]);
    ip(['-n', this.sw.name, 'addr', 'add', '10.20.0.1/24', 'dev', 'tcrem0']);
    ip(['-n', this.sw.name, 'link', 'set', 'tcrem0', 'up']);
    ip(['-n', this.remote.name, 'addr', 'add', `${REMOTE_CLIENT}/24`, 'dev', 'eth0']);
    ip(['-n', this.remote.name, 'link', 'set', 'eth0', 'up']);
    ip(['-n', this.remote.name, 'route', 'add', 'default', 'via', '10.20.0.1']);
    for (let i = 1; i <= nodeCount; i++) this.addNode(i);
    // Overlay between nodes: each node routes the others' pod CIDRs to them over the underlay.
    for (const a of this.nodes)
      for (const b of this.nodes) if (a !== b) ip(['-n', a.name, 'route', 'add', b.podCidr, 'via', b.ip]);
    return this;
  }

  private addNode(i: number): void {
    const ns = this.netns(`n${i}`);
    this.cable(ns.name, 'tcup0');
    const addr = `10.10.0.${10 + i}`;
    ip(['-n', ns.name, 'addr', 'add', `${addr}/24`, 'dev', 'tcup0']);
    ip(['-n', ns.name, 'route', 'add', 'default', 'via', GATEWAY]);
    sysctlIn(ns.name, 'net.ipv4.ip_forward', '1');
    const bin = join(this.work, `bin-n${i}`);
    mkdirSync(bin);
    for (const type of ['trunkline-macvlan', 'trunkline-coordinator']) {
      // TRUNKLINE_NO_AGENT: a node agent elsewhere on the machine must not run our calls in its namespace.
      writeFileSync(
        join(bin, type),
        `#!/bin/sh\nexport TRUNKLINE_NO_AGENT=1\nexec nsenter --net=${ns.path} ${join(DIST_CNI, type)} "$@"\n`,
      );
      chmodSync(join(bin, type), 0o755);
    }
    this.nodes.push({ index: i, ...ns, ip: addr, podCidr: `10.244.${i}.0/24`, bin });
  }

  /** A namespace on the switch itself holding `cidr` (e.g. a host already using an address). */
  holder(tag: string, cidr: string): Ns {
    const ns = this.netns(tag);
    this.cable(ns.name, 'eth0');
    ip(['-n', ns.name, 'addr', 'add', cidr, 'dev', 'eth0']);
    return ns;
  }

  /** A Calico-like pod on `node`: eth0 = veth with a /32, default via 169.254.1.1 (node proxy ARP). */
  overlayPod(node: SceneNode, tag: string, host: number): Ns & { ip: string } {
    const ns = this.netns(tag);
    const addr = `10.244.${node.index}.${host}`;
    const hostEnd = `tcc${++this.overlayPods}`;
    ip(['-n', node.name, 'link', 'add', hostEnd, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns.name]);
    sysctlIn(node.name, `net.ipv4.conf.${hostEnd}.proxy_arp`, '1');
    ip(['-n', node.name, 'link', 'set', hostEnd, 'up']);
    ip(['-n', node.name, 'route', 'add', `${addr}/32`, 'dev', hostEnd, 'scope', 'link']);
    ip(['-n', ns.name, 'addr', 'add', `${addr}/32`, 'dev', 'eth0']);
    ip(['-n', ns.name, 'link', 'set', 'eth0', 'up']);
    ip(['-n', ns.name, 'route', 'add', '169.254.1.1', 'dev', 'eth0', 'scope', 'link']);
    ip(['-n', ns.name, 'route', 'add', 'default', 'via', '169.254.1.1', 'dev', 'eth0']);
    return { ...ns, ip: addr };
  }

  /** A ClusterIP on `node`: nftables DNAT of `vip` to `backend`, as kube-proxy would install. */
  service(node: SceneNode, vip: string, backend: string): void {
    const rules = [
      'table ip tcsvc {',
      '  chain pre {',
      '    type nat hook prerouting priority dstnat;',
      `    ip daddr ${vip} dnat to ${backend}`,
      '  }',
      '  chain out {',
      '    type nat hook output priority -100;',
      `    ip daddr ${vip} dnat to ${backend}`,
      '  }',
      '}',
      '',
    ].join('\n');
    execFileSync('ip', ['netns', 'exec', node.name, 'nft', '-f', '-'], { input: rules });
  }

  /** Namespaces of this scene still present (for leak assertions). */
  leftovers(): string[] {
    const all = execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' });
    return all
      .split('\n')
      .map((l) => l.split(' ')[0] ?? '')
      .filter((n) => n.startsWith(this.prefix) && n.endsWith(this.id));
  }

  remove(name: string): void {
    this.scene.remove(name);
  }

  cleanup(): void {
    this.scene.cleanup();
    rmSync(this.work, { recursive: true, force: true });
  }
}
