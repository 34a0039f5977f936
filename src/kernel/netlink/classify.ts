// Netlink failures → the typed errors of ../errors.ts, as the iproute2 backend's classify does.
import { constants, openSync } from 'node:fs';
import {
  Exists,
  errnoOf,
  KernelError,
  LinkNotFound,
  NetnsNotFound,
  NotFound,
  PATH_NOT_FOUND_ERRNOS,
} from '../errors.js';
import { checkNetnsPath } from '../iproute2/netns.js';
import type { NetnsRef } from '../types.js';
import { NetlinkError } from './addon.js';

interface Ctx {
  what: string;
  link?: string;
}

const where = (ns: NetnsRef) => ns ?? 'the current namespace';

/** Maps a failure to the typed errors of ../errors.ts, as the iproute2 backend's classify does. */
export function classify(e: unknown, ns: NetnsRef, ctx: Ctx): unknown {
  if (!(e instanceof NetlinkError)) return e;
  const argv = [`netlink ${ctx.what}`];
  const facts = { argv, stderr: e.extack ?? '', errno: e.code, cause: e };
  switch (e.code) {
    case 'ENODEV':
      return new LinkNotFound(ctx.link ?? ctx.what, ns, facts);
    case 'EEXIST':
      return new Exists(ctx.what, facts);
    case 'ESRCH':
    case 'ENOENT':
    case 'EADDRNOTAVAIL':
      return new NotFound(`${ctx.what} not found in ${where(ns)}`, facts);
    default:
      return new KernelError(`${ctx.what}: ${e.message}`, facts);
  }
}

// The addon copies a namespace path into a PATH_MAX buffer; a longer one names no namespace.
const PATH_MAX = 4096;

/** Refuses, as the kernel would, a namespace path longer than PATH_MAX before it reaches the addon. */
export function checkPathLength(ns: NetnsRef): void {
  if (ns !== null && Buffer.byteLength(ns) >= PATH_MAX)
    throw new NetnsNotFound(ns, { argv: [`open ${ns.slice(0, 64)}…`], errno: 'ENAMETOOLONG' });
}

/** A socket that could not be opened in ns: a missing or non-namespace path is NetnsNotFound. */
export function socketError(e: unknown, ns: NetnsRef): KernelError {
  const errno = errnoOf(e);
  const facts = { argv: [`netlink socket in ${where(ns)}`], errno, cause: e };
  if (ns !== null && errno !== undefined && (PATH_NOT_FOUND_ERRNOS.has(errno) || errno === 'EINVAL'))
    return new NetnsNotFound(ns, facts);
  return new KernelError(`cannot open netlink in ${where(ns)}: ${errno ?? 'failed'}`, facts);
}

/** A namespace file opened for IFLA_NET_NS_FD; missing or not a namespace → NetnsNotFound. */
export async function openNs(path: string): Promise<number> {
  await checkNetnsPath(path);
  try {
    return openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (e) {
    throw new NetnsNotFound(path, { argv: [`open ${path}`], errno: errnoOf(e), cause: e });
  }
}

export function sysctlError(e: unknown, ns: NetnsRef, path: string): unknown {
  const code = errnoOf(e);
  // The addon's message names the file it could not open: the namespace path itself, or the key.
  const text = e instanceof Error ? e.message : '';
  const facts = { argv: [`sysctl ${path}`], stderr: text, errno: code, cause: e };
  const nsFailed = ns !== null && text.startsWith(`${ns}:`);
  if (nsFailed && code !== undefined && PATH_NOT_FOUND_ERRNOS.has(code)) return new NetnsNotFound(ns, facts);
  if (code === 'ENOENT') {
    const m = /^net\/ipv[46]\/(?:conf|neigh)\/([^/]+)\//.exec(path);
    if (m?.[1] && m[1] !== 'all' && m[1] !== 'default') return new LinkNotFound(m[1], ns, facts);
    return new NotFound(`sysctl ${path} not found in ${where(ns)}`, facts);
  }
  if (code === 'EINVAL' && nsFailed) return new NetnsNotFound(ns, facts);
  return new KernelError(`cannot access sysctl ${path} in ${where(ns)}: ${code ?? 'failed'}`, facts);
}
