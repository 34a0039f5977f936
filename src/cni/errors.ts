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
export const invalidConfig = (msg: string, details?: string) =>
  new CniError(Code.InvalidConfig, msg, details);
export const decodeFailure = (msg: string, details?: string) =>
  new CniError(Code.DecodeFailure, msg, details);
export const ioFailure = (msg: string, details?: string) => new CniError(Code.IoFailure, msg, details);
export const incompatibleVersion = (msg: string, details?: string) =>
  new CniError(Code.IncompatibleVersion, msg, details);
export const tryAgainLater = (msg: string, details?: string) =>
  new CniError(Code.TryAgainLater, msg, details);

/**
 * The part of a cause worth showing a runtime user in `details`: a kernel error's stderr (the tool's own
 * words), otherwise the cause's message. The cause itself travels as `cause`, for logs.
 */
function causeDetails(cause: unknown): string {
  const stderr = (cause as { stderr?: unknown } | null)?.stderr;
  if (typeof stderr === 'string' && stderr.trim() !== '') return stderr.trim();
  return cause instanceof Error ? cause.message : String(cause);
}

/** A CniError caused by `cause`: what failed in `msg`, why in `details`, the original as `cause`. */
export const causedBy = (code: number, msg: string, cause: unknown): CniError =>
  new CniError(code, msg, causeDetails(cause), { cause });

/** Wrap anything thrown into a CniError (unknown failures become code 999 with the original message). */
export function toCniError(err: unknown): CniError {
  if (err instanceof CniError) return err;
  if (err instanceof Error) return new CniError(Code.Internal, err.message, undefined, { cause: err });
  return new CniError(Code.Internal, String(err));
}
