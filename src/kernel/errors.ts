// Typed kernel errors so callers can treat "already gone" as success on DEL. Each keeps what the
// kernel (or the tool) said as fields, so a CNI error made from it can show them and a log its chain.

/** What a failed kernel operation leaves behind for whoever reports it. */
export interface KernelFacts {
  /** The command run (iproute2) or the request made (`netlink link eth0`). */
  argv?: readonly string[];
  /** The tool's own words, or the kernel's extended ack. */
  stderr?: string;
  /** The symbolic errno (`ENODEV`) when known. */
  errno?: string | undefined;
  /** The failure this error classifies (a NetlinkError, a spawn or fs error). */
  cause?: unknown;
}

export class KernelError extends Error {
  readonly argv: readonly string[];
  readonly stderr: string;
  readonly errno: string | undefined;
  constructor(message: string, facts: KernelFacts = {}) {
    super(message, facts.cause !== undefined ? { cause: facts.cause } : undefined);
    this.name = 'KernelError';
    this.argv = facts.argv ?? [];
    this.stderr = facts.stderr ?? '';
    this.errno = facts.errno;
  }
}

/** The object an operation names (address, route, rule, sysctl key, link) does not exist. */
export class NotFound extends KernelError {
  constructor(message: string, facts: KernelFacts = {}) {
    super(message, facts);
    this.name = 'NotFound';
  }
}

export class LinkNotFound extends NotFound {
  constructor(
    readonly link: string,
    readonly netns: string | null,
    facts: KernelFacts = {},
  ) {
    super(`link ${link} not found in ${netns ?? 'the current namespace'}`, facts);
    this.name = 'LinkNotFound';
  }
}

export class NetnsNotFound extends KernelError {
  constructor(
    readonly netns: string,
    facts: KernelFacts = {},
  ) {
    super(`network namespace ${netns} does not exist`, facts);
    this.name = 'NetnsNotFound';
  }
}

export class Exists extends KernelError {
  constructor(what: string, facts: KernelFacts = {}) {
    super(`${what} already exists`, facts);
    this.name = 'Exists';
  }
}

/** True for "the thing is already gone": a missing link/address/route/rule, or a missing namespace. */
export const isGone = (e: unknown): boolean => e instanceof NotFound || e instanceof NetnsNotFound;

/**
 * Errnos from opening or inspecting a path that mean it cannot name a namespace (missing, a file in
 * the middle, too long for the kernel, a symlink loop), as opposed to a kernel that failed.
 */
export const PATH_NOT_FOUND_ERRNOS: ReadonlySet<string> = new Set([
  'ENOENT',
  'ENOTDIR',
  'ENAMETOOLONG',
  'ELOOP',
]);

/** The symbolic errno of a Node system error (fs, spawn), when it has one. */
export const errnoOf = (e: unknown): string | undefined => {
  const code = (e as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^E[A-Z0-9]+$/.test(code) ? code : undefined;
};
