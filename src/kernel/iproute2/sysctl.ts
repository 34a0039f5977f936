// sysctl inside a namespace. /proc/sys/net resolves against the network namespace of the task that
// opens the file, so something inside the namespace must open it. `nsenter --net=PATH` (setns + exec,
// no mount-namespace work, unlike `ip netns exec`) running one `sysctl -w k=v k=v…` writes every key of
// a batch in a single process; this process's own namespace needs no spawn at all.
import { readFile, writeFile } from 'node:fs/promises';
import { errnoOf, KernelError, type KernelFacts, LinkNotFound, NotFound } from '../errors.js';
import type { NetnsRef } from '../types.js';
import { classify } from './classify.js';
import { inNetns } from './netns.js';
import { run, tool } from './run.js';

/**
 * 'net.ipv4.ip_forward' or 'net/ipv4/conf/eth0.100/arp_notify' → slash form. With slashes present,
 * dots are literal (interface names may hold dots). Only net.* is namespaced: anything else would
 * silently change the host, so it is refused.
 */
export function sysctlPath(key: string): string {
  let p = key.startsWith('/proc/sys/') ? key.slice('/proc/sys/'.length) : key;
  if (!p.includes('/')) p = p.replaceAll('.', '/');
  const parts = p.split('/');
  if (parts[0] !== 'net' || parts.some((c) => c === '' || c === '.' || c === '..') || /[=\s\0]/.test(p)) {
    throw new KernelError(`sysctl key ${JSON.stringify(key)} is not a net.* key`);
  }
  return p;
}

/** A missing per-interface key means the interface is missing. */
function notFound(path: string, ns: NetnsRef, facts: KernelFacts): KernelError {
  const m = /^net\/ipv[46]\/(?:conf|neigh)\/([^/]+)\//.exec(path);
  if (m?.[1] && m[1] !== 'all' && m[1] !== 'default') return new LinkNotFound(m[1], ns, facts);
  return new NotFound(`sysctl ${path} not found in ${ns ?? 'the current namespace'}`, facts);
}

export async function sysctlGet(ns: NetnsRef, key: string): Promise<string> {
  const path = sysctlPath(key);
  if (ns === null) {
    try {
      return (await readFile(`/proc/sys/${path}`, 'utf8')).replace(/\n$/, '');
    } catch (e) {
      throw localError(e, path, 'read');
    }
  }
  const argv = inNetns(ns, [tool('cat'), `/proc/sys/${path}`]);
  const r = await run(argv);
  if (r.code !== 0) throw remoteError(r.stderr, path, ns, argv);
  return r.stdout.replace(/\n$/, '');
}

export async function sysctlSetMany(
  ns: NetnsRef,
  pairs: ReadonlyArray<readonly [string, string]>,
): Promise<void> {
  if (pairs.length === 0) return;
  const paths = pairs.map(([k, v]) => [sysctlPath(k), v] as const);
  if (ns === null) {
    for (const [path, value] of paths) {
      try {
        await writeFile(`/proc/sys/${path}`, value);
      } catch (e) {
        throw localError(e, path, 'write');
      }
    }
    return;
  }
  const argv = inNetns(ns, [tool('sysctl'), '-q', '-w', ...paths.map(([p, v]) => `${p}=${v}`)]);
  const r = await run(argv);
  if (r.code !== 0) {
    // procps names the failing key; attribute the error to it.
    const bad = paths.find(([p]) => r.stderr.includes(p))?.[0] ?? paths[0]![0];
    throw remoteError(r.stderr, bad, ns, argv);
  }
}

function remoteError(stderr: string, path: string, ns: NetnsRef, argv: readonly string[]): KernelError {
  const e = classify(stderr, { ns, argv, what: `sysctl ${path}` });
  return e instanceof NotFound ? notFound(path, ns, { argv, stderr: e.stderr, errno: e.errno }) : e;
}

function localError(e: unknown, path: string, verb: string): KernelError {
  const errno = errnoOf(e);
  const facts = { argv: [`${verb} /proc/sys/${path}`], errno, cause: e };
  if (errno === 'ENOENT') return notFound(path, null, facts);
  return new KernelError(`cannot ${verb} sysctl ${path}: ${errno ?? 'failed'}`, facts);
}
