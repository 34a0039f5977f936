// The netlink backend's entry: a NetlinkKernel when the native addon loads, else undefined so the
// caller keeps the iproute2 backend.
import type { Kernel } from '../types.js';
import { findAddon, loadAddon } from './addon.js';
import { NetlinkKernel } from './kernel.js';

export { NetlinkKernel };

export function createNetlinkKernel(
  addonPath: string | undefined = findAddon(),
  fallback?: Kernel,
  opts: { keepSockets?: boolean } = {},
): NetlinkKernel | undefined {
  if (addonPath === undefined) return undefined;
  try {
    return new NetlinkKernel(loadAddon(addonPath), fallback, undefined, opts.keepSockets);
  } catch {
    return undefined;
  }
}

/** SO_PEERCRED's uid for a unix socket descriptor, through the addon; undefined when it does not load. */
export function peerUidReader(
  addonPath: string | undefined = findAddon(),
): ((fd: number) => number) | undefined {
  if (addonPath === undefined) return undefined;
  try {
    const addon = loadAddon(addonPath);
    return (fd) => addon.peerUid(fd);
  } catch {
    return undefined;
  }
}
