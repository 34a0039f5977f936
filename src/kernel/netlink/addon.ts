// Loading the native half (addon.c → dist/lib/trunkline_netlink.node) and a typed socket on top of it.
// process.dlopen works the same from the CommonJS bundles and from ESM (tests), and never at import time.
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { decodeError, NLMSG_ERROR, type NlMsg, splitMessages } from './rtnl.js';

export const ADDON_FILE = 'trunkline_netlink.node';

/** The native half. Everything that can block runs on the libuv thread pool and returns a promise. */
export interface Addon {
  socket(ns: string | null): Promise<number>;
  close(fd: number): void;
  transact(fd: number, req: Buffer, timeoutMs: number): Promise<Buffer>;
  /** A socket in ns, one request, closed: one thread-pool job. Fails with syscall 'socket' before the request. */
  transactIn(ns: string | null, req: Buffer, timeoutMs: number): Promise<Buffer>;
  sysctl(ns: string | null, path: string, value?: string): Promise<string | undefined>;
  peerUid(fd: number): number;
}

/** How long one request waits for its replies before failing with ETIMEDOUT. */
export const NETLINK_TIMEOUT_MS = 5000;

/** An errno from the kernel for one netlink request (errno > 0), with its extended-ack text. */
export class NetlinkError extends Error {
  constructor(
    readonly errno: number,
    readonly code: string,
    readonly extack: string | undefined,
  ) {
    super(`${code}${extack ? `: ${extack}` : ''}`);
    this.name = 'NetlinkError';
  }
}

function bundleDir(): string | undefined {
  try {
    return typeof __dirname === 'string' ? __dirname : undefined;
  } catch {
    return undefined;
  }
}

/** Where the addon is: TRUNKLINE_NETLINK_ADDON, beside the bundle (../lib), or under a repo's dist/lib. */
export function findAddon(env: Record<string, string | undefined> = process.env): string | undefined {
  const explicit = env['TRUNKLINE_NETLINK_ADDON'];
  if (explicit) return explicit;
  const candidates: string[] = [];
  const script = process.argv[1];
  if (script) candidates.push(join(dirname(resolve(script)), '..', 'lib', ADDON_FILE));
  // After the script: a bundle started from a start-up snapshot keeps the build's __dirname.
  const here = bundleDir();
  if (here !== undefined) candidates.push(join(here, '..', 'lib', ADDON_FILE));
  candidates.push(join(process.cwd(), 'dist', 'lib', ADDON_FILE));
  return candidates.find((p) => existsSync(p));
}

let loaded: Addon | undefined;

/** Loads the addon once; throws when it is missing or does not load. */
export function loadAddon(path = findAddon()): Addon {
  if (loaded) return loaded;
  if (path === undefined) throw new Error(`${ADDON_FILE} not found (build it with scripts/build.mjs)`);
  const m = { exports: {} as Addon };
  process.dlopen(m, path);
  loaded = m.exports;
  return loaded;
}

const ERRNO: Record<number, string> = {
  1: 'EPERM',
  2: 'ENOENT',
  3: 'ESRCH',
  13: 'EACCES',
  16: 'EBUSY',
  17: 'EEXIST',
  19: 'ENODEV',
  22: 'EINVAL',
  34: 'ERANGE',
  95: 'EOPNOTSUPP',
  97: 'EAFNOSUPPORT',
  99: 'EADDRNOTAVAIL',
  101: 'ENETUNREACH',
  105: 'ENOBUFS',
};

let seq = Math.floor(Math.random() * 0x7fffffff);
const nextSeq = () => {
  seq = (seq + 1) & 0x7fffffff;
  return seq;
};

/**
 * One NETLINK_ROUTE socket inside a namespace, opened and used off the main thread: a slow namespace
 * or a long dump holds up only its own caller. One request at a time per socket: replies are matched
 * by sequence number only.
 */
export class NlSocket {
  private constructor(
    private readonly addon: Addon,
    readonly ns: string | null,
    private fd: number,
    private readonly timeoutMs: number,
  ) {}

  static async open(addon: Addon, ns: string | null, timeoutMs = NETLINK_TIMEOUT_MS): Promise<NlSocket> {
    return new NlSocket(addon, ns, await addon.socket(ns), timeoutMs);
  }

  /** Sends one message; returns its data replies, throws NetlinkError for an error ack. */
  async request(build: (seq: number) => Buffer): Promise<NlMsg[]> {
    return replies(await this.addon.transact(this.fd, build(nextSeq()), this.timeoutMs));
  }

  /**
   * One request on a socket of its own in ns, opened and closed in the same thread-pool job: it is
   * queued before this returns, so the caller's next synchronous work overlaps the kernel's.
   */
  static async requestIn(
    addon: Addon,
    ns: string | null,
    build: (seq: number) => Buffer,
    timeoutMs = NETLINK_TIMEOUT_MS,
  ): Promise<NlMsg[]> {
    return replies(await addon.transactIn(ns, build(nextSeq()), timeoutMs));
  }

  close(): void {
    if (this.fd >= 0) this.addon.close(this.fd);
    this.fd = -1;
  }
}

function replies(raw: Buffer): NlMsg[] {
  const out: NlMsg[] = [];
  for (const m of splitMessages(raw)) {
    if (m.type === NLMSG_ERROR) {
      const { errno, msg } = decodeError(m);
      if (errno !== 0) throw new NetlinkError(errno, ERRNO[errno] ?? `errno ${errno}`, msg);
      continue;
    }
    if (m.type >= 16) out.push(m); // below 16: NOOP, DONE, OVERRUN
  }
  return out;
}
