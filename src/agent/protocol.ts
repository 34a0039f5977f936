// The agent's wire format (version 1), shared with src/shim/shim.c. Both directions are one line of
// JSON followed by a raw body of the announced length, so the C side needs no JSON decoder and the
// CNI config travels byte for byte:
//   request  {"version":1,"type":T,"command":C,"env":{"CNI_…":…},"stdinLength":N}\n<N bytes>
//   reply    {"version":1,"status":S,"exitCode":E,"stdoutLength":M}\n<M bytes>
// status "ok" carries the plugin's outcome; "fallback" tells the shim to run the bundled plugin
// itself (type not served here, or a request version this agent does not speak); "busy" means the
// agent's queue is full and the shim should retry with backoff.

const PROTOCOL_VERSION = 1;
export const MAX_HEADER_BYTES = 64 * 1024;
const MAX_BODY_BYTES = 16 * 1024 * 1024;

type ReplyStatus = 'ok' | 'fallback' | 'busy';

export interface AgentRequest {
  version: number;
  type: string;
  command: string;
  env: Record<string, string>;
  stdin: Buffer;
}

export interface AgentReply {
  status: ReplyStatus;
  exitCode: number;
  stdout: string;
  reason?: string;
}

/** A request the agent refuses; `code` is the CNI error code the caller is answered with. */
export class ProtocolError extends Error {
  constructor(
    message: string,
    readonly code = 4,
  ) {
    super(message);
    this.name = 'ProtocolError';
  }
}

/** Bytes the frame readers may hold at once, across all connections (the agent's total request memory). */
export class ByteBudget {
  private used = 0;
  constructor(readonly limit: number) {}
  get inUse(): number {
    return this.used;
  }
  /** Takes n bytes, or returns false (nothing taken) when that would pass the limit. */
  take(n: number): boolean {
    if (this.used + n > this.limit) return false;
    this.used += n;
    return true;
  }
  give(n: number): void {
    this.used = Math.max(0, this.used - n);
  }
}

/** Thrown by a FrameReader whose budget is exhausted: the agent is out of room, the caller may retry. */
export class BudgetExceeded extends Error {}

export function encodeRequest(r: Omit<AgentRequest, 'version'> & { version?: number }): Buffer {
  const head = JSON.stringify({
    version: r.version ?? PROTOCOL_VERSION,
    type: r.type,
    command: r.command,
    env: r.env,
    stdinLength: r.stdin.length,
  });
  return Buffer.concat([Buffer.from(`${head}\n`), r.stdin]);
}

export function encodeReply(r: AgentReply): Buffer {
  const body = Buffer.from(r.stdout, 'utf8');
  const head = JSON.stringify({
    version: PROTOCOL_VERSION,
    status: r.status,
    exitCode: r.exitCode,
    stdoutLength: body.length,
    ...(r.reason !== undefined ? { reason: r.reason } : {}),
  });
  return Buffer.concat([Buffer.from(`${head}\n`), body]);
}

/**
 * Incremental reader of one frame: feed chunks until it returns the header and body. The body length
 * comes from `lengthKey` in the header; limits bound memory per connection, and an optional budget
 * bounds it across connections (release() gives back what this reader took).
 */
export class FrameReader {
  private head: Buffer = Buffer.alloc(0);
  private header: Record<string, unknown> | undefined;
  private body: Buffer | undefined;
  private filled = 0;
  private taken = 0;

  constructor(
    private readonly lengthKey: string,
    private readonly budget?: ByteBudget,
  ) {}

  push(chunk: Buffer): { header: Record<string, unknown>; body: Buffer } | undefined {
    if (this.header === undefined) {
      const nlInChunk = chunk.indexOf(0x0a);
      const headLen = this.head.length + (nlInChunk < 0 ? chunk.length : nlInChunk);
      if (headLen > MAX_HEADER_BYTES) {
        throw new ProtocolError(`request header longer than ${MAX_HEADER_BYTES} bytes`, 4);
      }
      this.take(nlInChunk < 0 ? chunk.length : nlInChunk + 1);
      if (nlInChunk < 0) {
        this.head = Buffer.concat([this.head, chunk]);
        return undefined;
      }
      const line = Buffer.concat([this.head, chunk.subarray(0, nlInChunk)]);
      this.head = Buffer.alloc(0);
      this.header = parseHeader(line);
      const n = this.header[this.lengthKey];
      if (typeof n !== 'number' || !Number.isInteger(n) || n < 0) {
        throw new ProtocolError(`${this.lengthKey} must be a non-negative integer`, 4);
      }
      if (n > MAX_BODY_BYTES) {
        throw new ProtocolError(`request body of ${n} bytes is larger than ${MAX_BODY_BYTES} bytes`, 5);
      }
      this.take(n);
      this.body = Buffer.allocUnsafe(n);
      chunk = chunk.subarray(nlInChunk + 1);
    }
    const body = this.body!;
    const n = Math.min(chunk.length, body.length - this.filled);
    chunk.copy(body, this.filled, 0, n);
    this.filled += n;
    if (this.filled < body.length) return undefined;
    return { header: this.header, body };
  }

  /** Gives back to the budget what this reader took (call once the request is done). */
  release(): void {
    this.budget?.give(this.taken);
    this.taken = 0;
  }

  private take(n: number): void {
    if (!this.budget || n === 0) return;
    if (!this.budget.take(n)) throw new BudgetExceeded('request memory budget exhausted');
    this.taken += n;
  }
}

function parseHeader(line: Buffer): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(line.toString('utf8'));
  } catch {
    throw new ProtocolError('request header is not JSON');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new ProtocolError('request header is not a JSON object');
  }
  return parsed as Record<string, unknown>;
}

/** Validates a decoded request header; a version this agent does not speak is reported, not thrown. */
export function toRequest(
  header: Record<string, unknown>,
  body: Buffer,
): AgentRequest | { unsupported: string } {
  const version = header['version'];
  if (version !== PROTOCOL_VERSION) {
    return {
      unsupported: `protocol version ${JSON.stringify(version)}, this agent speaks ${PROTOCOL_VERSION}`,
    };
  }
  const type = header['type'];
  if (typeof type !== 'string' || type === '') throw new ProtocolError('type must be a non-empty string');
  const rawEnv = header['env'];
  if (typeof rawEnv !== 'object' || rawEnv === null || Array.isArray(rawEnv)) {
    throw new ProtocolError('env must be an object of strings');
  }
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(rawEnv)) {
    if (typeof v !== 'string') throw new ProtocolError(`env.${k} must be a string`);
    // Only the CNI protocol's variables reach a plugin; the agent's own environment stays its own.
    if (k.startsWith('CNI_')) env[k] = v;
  }
  const command = typeof header['command'] === 'string' ? header['command'] : (env['CNI_COMMAND'] ?? '');
  return { version, type, command, env, stdin: body };
}

/** Decodes a reply frame (the TypeScript client's side). */
export function toReply(header: Record<string, unknown>, body: Buffer): AgentReply {
  const status = header['status'];
  if (status !== 'ok' && status !== 'fallback' && status !== 'busy') {
    throw new ProtocolError(`unknown reply status ${JSON.stringify(status)}`);
  }
  const exitCode = typeof header['exitCode'] === 'number' ? header['exitCode'] : 1;
  return {
    status,
    exitCode,
    stdout: body.toString('utf8'),
    ...(typeof header['reason'] === 'string' ? { reason: header['reason'] } : {}),
  };
}
