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

export class LinkNotFound extends KernelError {
  constructor(
    readonly link: string,
    readonly netns: string | null,
  ) {
    super(`link ${link} not found in ${netns ?? 'the current namespace'}`);
    this.name = 'LinkNotFound';
  }
}

export class NetnsNotFound extends KernelError {
  constructor(readonly netns: string) {
    super(`network namespace ${netns} does not exist`);
    this.name = 'NetnsNotFound';
  }
}

export class Exists extends KernelError {
  constructor(what: string, argv: readonly string[] = [], stderr = '') {
    super(`${what} already exists`, argv, stderr);
    this.name = 'Exists';
  }
}

export const isGone = (e: unknown): boolean => e instanceof LinkNotFound || e instanceof NetnsNotFound;
