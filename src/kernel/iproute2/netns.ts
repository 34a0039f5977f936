import { readlink, statfs } from 'node:fs/promises';
import { errnoOf, KernelError, NetnsNotFound, PATH_NOT_FOUND_ERRNOS } from '../errors.js';
import type { NetnsRef } from '../types.js';
import { tool } from './run.js';

const NSFS_MAGIC = 0x6e736673;
const PROC_SUPER_MAGIC = 0x9fa0; // kernels < 3.19 expose /proc/PID/ns/* on procfs
const NAMED = /^\/(?:var\/)?run\/netns\/([^/]+)$/;

/** The `ip netns` name when the path is one of ip's own mounts, else undefined. */
function netnsName(ns: string): string | undefined {
  const m = NAMED.exec(ns);
  const name = m?.[1];
  return name !== undefined && name !== '.' && name !== '..' ? name : undefined;
}

/**
 * argv running `ip ARGS` inside ns. Named namespaces use `ip -n` (one exec); any other path goes
 * through `nsenter --net=PATH` because `ip -n` only accepts names under /run/netns.
 */
export function ipArgv(ns: NetnsRef, args: readonly string[]): string[] {
  return inNetns(ns, [tool('ip'), ...args], true);
}

/** argv running CMD inside ns (nsenter for every path; `ip -n` rewriting only when the command is ip). */
export function inNetns(ns: NetnsRef, cmd: readonly string[], isIp = false): string[] {
  if (ns === null) return [...cmd];
  if (!ns.startsWith('/')) throw new NetnsNotFound(ns);
  const name = isIp ? netnsName(ns) : undefined;
  if (name !== undefined) return [cmd[0]!, '-n', name, ...cmd.slice(1)];
  return [tool('nsenter'), `--net=${ns}`, '--', ...cmd];
}

/** A path the `ip` running inside some namespace can open to reach `ns` (null = this process's own). */
export function netnsPath(ns: NetnsRef): string {
  return ns ?? `/proc/${process.pid}/ns/net`;
}

/**
 * Cheap check without spawning: the path must be an nsfs file (a bind mount under /run/netns or a
 * /proc/PID/ns/net link); for /proc links readlink also tells the namespace type. A stale file under
 * /run/netns left by a failed mount lives on tmpfs and is rejected, as the reference plugins do.
 */
export async function checkNetnsPath(ns: NetnsRef): Promise<void> {
  if (ns === null) return;
  if (!ns.startsWith('/')) throw new NetnsNotFound(ns);
  let type: number;
  try {
    type = (await statfs(ns)).type;
  } catch (e) {
    const errno = errnoOf(e);
    if (errno !== undefined && PATH_NOT_FOUND_ERRNOS.has(errno))
      throw new NetnsNotFound(ns, { errno, cause: e });
    throw new KernelError(`cannot inspect network namespace ${ns}: statfs failed`, {
      argv: [`statfs ${ns}`],
      errno,
      cause: e,
    });
  }
  if (type !== NSFS_MAGIC && type !== PROC_SUPER_MAGIC) throw new NetnsNotFound(ns);
  try {
    if (!(await readlink(ns)).startsWith('net:[')) throw new NetnsNotFound(ns);
  } catch (e) {
    if (e instanceof NetnsNotFound) throw e;
    // On procfs only the ns links are namespaces (not /proc/1, a directory, or /proc/self/fd/N).
    if (type === PROC_SUPER_MAGIC) throw new NetnsNotFound(ns, { errno: errnoOf(e), cause: e });
    // EINVAL: a bind mount, not a link; its type is only visible to setns, which ip will do.
  }
}
