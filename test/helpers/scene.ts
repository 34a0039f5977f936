// Test scenes in namespaces the test owns: a "host" namespace whose veth end is the macvlan master
// (never the machine's eth0), its peer in a "switch" namespace, and pod namespaces. Everything is
// registered for removal so a failing test still cleans up.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';

export function ip(args: string[], input?: string): string {
  return execFileSync('ip', args, {
    encoding: 'utf8',
    stdio: ['pipe', 'pipe', 'pipe'],
    ...(input !== undefined ? { input } : {}),
  });
}

/** `ip -j` output of a namespace, parsed. */
export function ipj<T = Record<string, unknown>[]>(ns: string, args: string[]): T {
  const out = ip(['-j', '-n', ns, ...args]).trim();
  return (out ? JSON.parse(out) : []) as T;
}

export function sysctl(ns: string, key: string): string {
  return execFileSync('ip', ['netns', 'exec', ns, 'cat', `/proc/sys/${key.replaceAll('.', '/')}`], {
    encoding: 'utf8',
  }).trim();
}

export class Scene {
  readonly id = randomBytes(3).toString('hex');
  private readonly namespaces: string[] = [];
  constructor(readonly prefix: string) {}

  netns(tag: string): { name: string; path: string } {
    const name = `${this.prefix}${tag}${this.id}`;
    ip(['netns', 'add', name]);
    this.namespaces.push(name);
    ip(['-n', name, 'link', 'set', 'lo', 'up']);
    return { name, path: `/var/run/netns/${name}` };
  }

  /** A host namespace with `uplink0` (veth, MTU `mtu`) cabled to a switch namespace. */
  host(tag = 'h', mtu = 1500): { name: string; path: string; master: string; switchNs: string } {
    const h = this.netns(tag);
    const sw = this.netns(`${tag}sw`);
    ip([
      '-n',
      h.name,
      'link',
      'add',
      'uplink0',
      'mtu',
      String(mtu),
      'type',
      'veth',
      'peer',
      'name',
      'sw0',
      'netns',
      sw.name,
    ]);
    ip(['-n', h.name, 'link', 'set', 'uplink0', 'up']);
    ip(['-n', sw.name, 'link', 'set', 'sw0', 'up']);
    return { ...h, master: 'uplink0', switchNs: sw.name };
  }

  remove(name: string): void {
    try {
      ip(['netns', 'del', name]);
    } catch {
      // already gone
    }
  }

  cleanup(): void {
    for (const n of this.namespaces.splice(0)) this.remove(n);
  }
}

/** Names of the links in a namespace (lo included). */
export function links(ns: string): string[] {
  return ipj<{ ifname: string }[]>(ns, ['link', 'show']).map((l) => l.ifname);
}
