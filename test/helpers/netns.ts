// Namespaces for tests, one module: `ip` and its JSON form, uniquely named namespaces that are always
// removed (one at a time with makeNetns/withNetns, or a Scene of host/switch/pod namespaces), and a
// path-only namespace held by a process (/proc/PID/ns/net), as container runtimes hand them out.
// Never the machine's eth0: a Scene's macvlan master is a veth whose peer sits in a switch namespace.
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readlink } from 'node:fs/promises';

/** `ip ARGS` (stdin `input`); throws with ip's stderr on failure. */
export function ip(args: string[], input?: string): string {
  return execFileSync('ip', args, {
    encoding: 'utf8',
    stdio: ['pipe', 'pipe', 'pipe'],
    ...(input !== undefined ? { input } : {}),
  });
}

/**
 * `ip -j ARGS` in ns — a netns name (`ip -n`) or an absolute path such as /proc/PID/ns/net
 * (`nsenter --net=`) — parsed (empty output → []).
 */
// biome-ignore lint/suspicious/noExplicitAny: test assertions index freely into ip's JSON
export function ipj<T = any[]>(ns: string, args: string[]): T {
  const out = (
    ns.startsWith('/')
      ? execFileSync('nsenter', [`--net=${ns}`, '--', 'ip', '-j', ...args], { encoding: 'utf8' })
      : ip(['-j', '-n', ns, ...args])
  ).trim();
  return (out ? JSON.parse(out) : []) as T;
}

/** Names of the links in a namespace (lo included). */
export function links(ns: string): string[] {
  return ipj<{ ifname: string }[]>(ns, ['link', 'show']).map((l) => l.ifname);
}

export function sysctl(ns: string, key: string): string {
  return execFileSync('ip', ['netns', 'exec', ns, 'cat', `/proc/sys/${key.replaceAll('.', '/')}`], {
    encoding: 'utf8',
  }).trim();
}

/** PREFIX + 6 hex chars; keep PREFIX ≤ 9 chars when the result is used as an interface name. */
export const uniqueName = (prefix: string): string => `${prefix}${randomBytes(3).toString('hex')}`;

function addNetns(name: string): { name: string; path: string } {
  ip(['netns', 'add', name]);
  try {
    ip(['-n', name, 'link', 'set', 'lo', 'up']);
  } catch (e) {
    delNetns(name);
    throw e;
  }
  return { name, path: `/var/run/netns/${name}` };
}

function delNetns(name: string): void {
  try {
    ip(['netns', 'del', name]);
  } catch {
    // already gone
  }
}

export interface TestNetns {
  name: string;
  path: string;
  cleanup(): Promise<void>;
}

/** One uniquely named namespace (lo up); async so tests await it like the rest of their setup. */
export async function makeNetns(prefix: string): Promise<TestNetns> {
  const ns = addNetns(uniqueName(prefix));
  return { ...ns, cleanup: async () => delNetns(ns.name) };
}

/**
 * Test scenes: a "host" namespace whose veth end is the macvlan master, its peer in a "switch"
 * namespace, and pod namespaces; all registered so a failing test still cleans up.
 */
export class Scene {
  readonly id = randomBytes(3).toString('hex');
  private readonly namespaces: string[] = [];
  constructor(readonly prefix: string) {}

  netns(tag: string): { name: string; path: string } {
    const ns = addNetns(`${this.prefix}${tag}${this.id}`);
    this.namespaces.push(ns.name);
    return ns;
  }

  /** A host namespace with `uplink0` (veth, MTU `mtu`) cabled to a switch namespace. */
  host(tag = 'h', mtu = 1500): { name: string; path: string; master: string; switchNs: string } {
    const h = this.netns(tag);
    const sw = this.netns(`${tag}sw`);
    const veth = ['uplink0', 'mtu', String(mtu), 'type', 'veth', 'peer', 'name', 'sw0', 'netns', sw.name];
    ip(['-n', h.name, 'link', 'add', ...veth]);
    ip(['-n', h.name, 'link', 'set', 'uplink0', 'up']);
    ip(['-n', sw.name, 'link', 'set', 'sw0', 'up']);
    return { ...h, master: 'uplink0', switchNs: sw.name };
  }

  remove(name: string): void {
    delNetns(name);
  }

  cleanup(): void {
    for (const n of this.namespaces.splice(0)) delNetns(n);
  }
}

export interface PidNetns {
  pid: number;
  /** /proc/PID/ns/net of a `sleep` in a fresh, unnamed namespace (lo down). */
  path: string;
  /** Kills the holder; the namespace and its links vanish with it. */
  cleanup(): Promise<void>;
}

/** A namespace reachable only by /proc path, like a container's before any `ip netns` mount. */
export async function makePidNetns(): Promise<PidNetns> {
  const own = await readlink('/proc/self/ns/net');
  const child = spawn('unshare', ['--net', '--', 'sleep', '600'], { stdio: 'ignore' });
  child.unref();
  const pid = child.pid;
  if (pid === undefined) throw new Error('unshare did not start');
  const path = `/proc/${pid}/ns/net`;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const cleanup = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.ref(); // unref'd so a forgotten holder never keeps the runner alive; wait for it here
      child.kill('SIGKILL');
      await exited;
    }
  };
  // unshare execs sleep after setns-ing itself; wait until the pid is in its own namespace.
  for (let i = 0; i < 200; i++) {
    const cur = await readlink(path).catch(() => own);
    if (cur !== own) return { pid, path, cleanup };
    await new Promise((r) => setTimeout(r, 5));
  }
  await cleanup();
  throw new Error('unshare --net did not enter a new namespace');
}
