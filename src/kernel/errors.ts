// Typed kernel errors so callers can treat "already gone" as success on DEL.

export class KernelError extends Error {
  constructor(
    message: string,
    readonly argv: readonly string[] = [],
    readonly stderr = '',
  ) {
    super(message);
    this.name = 'KernelError';
  }
}

/** The object an operation names (address, route, rule, sysctl key, link) does not exist. */
export class NotFound extends KernelError {
  constructor(message: string, argv: readonly string[] = [], stderr = '') {
    super(message, argv, stderr);
    this.name = 'NotFound';
  }
}

export class LinkNotFound extends NotFound {
  constructor(
    readonly link: string,
    readonly netns: string | null,
    argv: readonly string[] = [],
    stderr = '',
  ) {
    super(`link ${link} not found in ${netns ?? 'the current namespace'}`, argv, stderr);
    this.name = 'LinkNotFound';
  }
}

export class NetnsNotFound extends KernelError {
  constructor(
    readonly netns: string,
    argv: readonly string[] = [],
    stderr = '',
  ) {
    super(`network namespace ${netns} does not exist`, argv, stderr);
    this.name = 'NetnsNotFound';
  }
}

export class Exists extends KernelError {
  constructor(what: string, argv: readonly string[] = [], stderr = '') {
    super(`${what} already exists`, argv, stderr);
    this.name = 'Exists';
  }
}

/** True for "the thing is already gone": a missing link/address/route/rule, or a missing namespace. */
export const isGone = (e: unknown): boolean => e instanceof NotFound || e instanceof NetnsNotFound;
