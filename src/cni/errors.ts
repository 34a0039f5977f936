// Domain errors that carry their CNI error code. Messages say what was expected and what was found.

export const Code = {
  IncompatibleVersion: 1,
  UnsupportedField: 2,
  UnknownContainer: 3,
  InvalidEnv: 4,
  IoFailure: 5,
  DecodeFailure: 6,
  InvalidConfig: 7,
  TryAgainLater: 11,
  NotAvailable: 50,
  LimitedConnectivity: 51,
  // 100+ are ours.
  PoolExhausted: 100,
  NoEligiblePool: 101,
  IpTaken: 102,
  StoreUnavailable: 103,
  Internal: 999,
} as const;

export class CniError extends Error {
  readonly code: number;
  readonly details: string | undefined;
  constructor(code: number, msg: string, details?: string, options?: { cause?: unknown }) {
    super(msg, options);
    this.name = 'CniError';
    this.code = code;
    this.details = details;
  }
  toObject(cniVersion: string): { cniVersion: string; code: number; msg: string; details?: string } {
    return {
      cniVersion,
      code: this.code,
      msg: this.message,
      ...(this.details !== undefined ? { details: this.details } : {}),
    };
  }
}

export const invalidEnv = (msg: string, details?: string) => new CniError(Code.InvalidEnv, msg, details);
export const invalidConfig = (msg: string, details?: string, options?: { cause?: unknown }) =>
  new CniError(Code.InvalidConfig, msg, details, options);
export const decodeFailure = (msg: string, details?: string) =>
  new CniError(Code.DecodeFailure, msg, details);
export const incompatibleVersion = (msg: string, details?: string) =>
  new CniError(Code.IncompatibleVersion, msg, details);
export const tryAgainLater = (msg: string, details?: string) =>
  new CniError(Code.TryAgainLater, msg, details);

interface Facts {
  message?: unknown;
  argv?: unknown;
  stderr?: unknown;
  errno?: unknown;
  cause?: unknown;
  details?: unknown;
}

const textOf = (x: unknown): string => (typeof x === 'string' ? x.trim() : '');

/** The errors of a chain, outermost first, each once (a cycle of causes ends it). */
function chain(err: unknown): unknown[] {
  const out: unknown[] = [];
  for (let e = err; e !== undefined && e !== null && !out.includes(e); e = (e as Facts).cause) out.push(e);
  return out;
}

/** What a kernel error carries besides `text`: errno (unless named there) and the command. */
function kernelFacts(x: Facts, text: string): string {
  const errno = textOf(x.errno) && !text.includes(textOf(x.errno)) ? textOf(x.errno) : '';
  const argv = Array.isArray(x.argv) && x.argv.length > 0 ? x.argv.join(' ') : '';
  return `${errno ? `; errno: ${errno}` : ''}${argv ? `; command: ${argv}` : ''}`;
}

/**
 * An error for a human, on one line: each message down the `cause` chain joined by ": " (a message
 * that already quotes its cause's is not repeated), with what a kernel error carries (stderr, errno,
 * command) and a CniError's details unless they were made from its cause. CLI output and log fields print errors through this.
 */
export function errorText(err: unknown): string {
  const parts: string[] = [];
  for (const e of chain(err)) {
    const x = e as Facts;
    const msg = e instanceof Error ? e.message : String(e);
    const stderr = textOf(x.stderr);
    const said = parts.join(': ');
    const head = said.includes(msg) ? '' : msg;
    const tool = stderr && !msg.includes(stderr) && !said.includes(stderr) ? ` (${stderr})` : '';
    // Details made from the cause say nothing the rest of the chain does not.
    const own =
      e instanceof CniError && x.details && (x.cause === undefined || x.details !== causeDetails(x.cause));
    const details = own ? ` (${x.details})` : '';
    const text = `${head}${tool}${kernelFacts(x, `${msg}${tool}`)}${details}`.trim();
    if (text !== '') parts.push(text);
  }
  return parts.join(': ');
}

/**
 * The part of a cause worth showing a runtime user in `details`. For a kernel failure anywhere down the
 * chain: the tool's own words (stderr, else the message), its errno and the command; otherwise the
 * cause's chain as text. The cause itself travels as `cause`, for logs.
 */
function causeDetails(cause: unknown): string {
  const kernel = chain(cause).find((e) => {
    const x = e as Facts;
    return textOf(x.stderr) !== '' || textOf(x.errno) !== '';
  }) as Facts | undefined;
  if (kernel === undefined) return errorText(cause);
  // errno always, even when the text names it: a runtime's user may grep for it.
  return `${textOf(kernel.stderr) || textOf(kernel.message)}${kernelFacts(kernel, '')}`;
}

/** A CniError caused by `cause`: what failed in `msg`, why in `details`, the original as `cause`. */
export const causedBy = (code: number, msg: string, cause: unknown): CniError =>
  new CniError(code, msg, causeDetails(cause), { cause });

/** errnos that say "not now" rather than "never": a kernel reply that did not come in time. */
const TRANSIENT = new Set(['ETIMEDOUT', 'EAGAIN', 'EBUSY']);

/**
 * Wrap anything thrown into a CniError: a transient kernel failure anywhere down the chain is 11 (the
 * runtime retries), other unknown failures 999 with the original message.
 */
export function toCniError(err: unknown): CniError {
  if (err instanceof CniError) return err;
  if (chain(err).some((e) => TRANSIENT.has(textOf((e as Facts).errno))))
    return causedBy(Code.TryAgainLater, err instanceof Error ? err.message : errorText(err), err);
  if (err instanceof Error) return new CniError(Code.Internal, err.message, undefined, { cause: err });
  return new CniError(Code.Internal, errorText(err));
}
