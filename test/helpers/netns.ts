// Namespaces for tests: uniquely named (`ip netns add PREFIX<random>`, lo up) and always removable;
// plus a path-only namespace held by a process (/proc/PID/ns/net), as container runtimes hand them out.
import { execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readlink } from 'node:fs/promises';
import { promisify } from 'node:util';

const exec = promisify(execFile);

export interface TestNetns {
  name: string;
  path: string;
  cleanup(): Promise<void>;
}

/** PREFIX + 6 hex chars; keep PREFIX ≤ 9 chars when the result is used as an interface name. */
export const uniqueName = (prefix: string): string => `${prefix}${randomBytes(3).toString('hex')}`;

/**
 * Run `ip ARGS` in ns — a netns name (`ip -n`), an absolute path such as /proc/PID/ns/net
 * (`nsenter --net=`), or null for this process's namespace — rejecting with ip's stderr on failure.
 */
export async function ip(ns: string | null, args: string[]): Promise<string> {
  if (ns?.startsWith('/'))
    return (await exec('nsenter', [`--net=${ns}`, '--', 'ip', ...args], { encoding: 'utf8' })).stdout;
  const argv = ns === null ? args : ['-n', ns, ...args];
  return (await exec('ip', argv, { encoding: 'utf8' })).stdout;
}

/** `ip -j -n NS ARGS…` (NS a name or a path), parsed (empty output → []). */
// biome-ignore lint/suspicious/noExplicitAny: test assertions index freely into ip's JSON
export async function ipJson<T = any[]>(nsName: string, args: string[]): Promise<T> {
  const out = (await ip(nsName, ['-j', ...args])).trim();
  return (out === '' ? [] : JSON.parse(out)) as T;
}

export async function makeNetns(prefix: string): Promise<TestNetns> {
  const name = uniqueName(prefix);
  await ip(null, ['netns', 'add', name]);
  const cleanup = async () => {
    await ip(null, ['netns', 'del', name]).catch(() => {});
  };
  try {
    await ip(name, ['link', 'set', 'lo', 'up']);
  } catch (e) {
    await cleanup();
    throw e;
  }
  return { name, path: `/var/run/netns/${name}`, cleanup };
}

/** makeNetns + fn + cleanup, even when fn throws. */
export async function withNetns<T>(prefix: string, fn: (ns: TestNetns) => Promise<T>): Promise<T> {
  const ns = await makeNetns(prefix);
  try {
    return await fn(ns);
  } finally {
    await ns.cleanup();
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
