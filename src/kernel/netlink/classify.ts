// Netlink failures → the typed errors of ../errors.ts, as the iproute2 backend's classify does.
import { constants, openSync } from 'node:fs';
import { Exists, KernelError, LinkNotFound, NetnsNotFound, NotFound } from '../errors.js';
import { checkNetnsPath } from '../iproute2/netns.js';
import type { NetnsRef } from '../types.js';
import { NetlinkError } from './addon.js';

export interface Ctx {
  what: string;
  link?: string;
}

export const where = (ns: NetnsRef) => ns ?? 'the current namespace';

/** Maps a failure to the typed errors of ../errors.ts, as the iproute2 backend's classify does. */
export function classify(e: unknown, ns: NetnsRef, ctx: Ctx): unknown {
  if (!(e instanceof NetlinkError)) return e;
  const argv = [`netlink ${ctx.what}`];
  const text = e.message;
  switch (e.code) {
    case 'ENODEV':
      return new LinkNotFound(ctx.link ?? ctx.what, ns, argv, text);
    case 'EEXIST':
      return new Exists(ctx.what, argv, text);
    case 'ESRCH':
    case 'ENOENT':
    case 'EADDRNOTAVAIL':
      return new NotFound(`${ctx.what} not found in ${where(ns)}`, argv, text);
    default:
      return new KernelError(`${ctx.what}: ${text} (${argv[0]})`, argv, text);
  }
}

/** A namespace file opened for IFLA_NET_NS_FD; missing or not a namespace → NetnsNotFound. */
export async function openNs(path: string): Promise<number> {
  await checkNetnsPath(path);
  try {
    return openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch {
    throw new NetnsNotFound(path);
  }
}

export function sysctlError(e: unknown, ns: NetnsRef, path: string): unknown {
  const code = (e as { code?: string }).code;
  const argv = [`sysctl ${path}`];
  const text = (e as Error).message ?? String(e);
  if (code === 'ENOENT') {
    // The namespace path itself, or the key: the addon names the file it could not open.
    if (ns !== null && text.startsWith(`${ns}:`)) return new NetnsNotFound(ns, argv, text);
    const m = /^net\/ipv[46]\/(?:conf|neigh)\/([^/]+)\//.exec(path);
    if (m?.[1] && m[1] !== 'all' && m[1] !== 'default') return new LinkNotFound(m[1], ns, argv, text);
    return new NotFound(`sysctl ${path} not found in ${where(ns)}`, argv, text);
  }
  if (code === 'EINVAL' && ns !== null && text.startsWith(`${ns}:`)) return new NetnsNotFound(ns, argv, text);
  return new KernelError(`cannot access sysctl ${path} in ${where(ns)}: ${text}`, argv, text);
}
