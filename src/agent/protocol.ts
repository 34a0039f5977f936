// The agent's wire format (version 1), shared with src/shim/shim.c. Both directions are one line of
// JSON followed by a raw body of the announced length, so the C side needs no JSON decoder and the
// CNI config travels byte for byte:
//   request  {"version":1,"type":T,"command":C,"env":{"CNI_…":…},"stdinLength":N}\n<N bytes>
//   reply    {"version":1,"status":S,"exitCode":E,"stdoutLength":M}\n<M bytes>
// status "ok" carries the plugin's outcome; "fallback" tells the shim to run the bundled plugin
// itself (type not served here, or a request version this agent does not speak); "busy" means the
// agent's queue is full and the shim should retry with backoff.

export const PROTOCOL_VERSION = 1;
export const MAX_HEADER_BYTES = 64 * 1024;
export const MAX_BODY_BYTES = 16 * 1024 * 1024;

export type ReplyStatus = 'ok' | 'fallback' | 'busy';

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

export class ProtocolError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ProtocolError';
  }
}

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
 * comes from `lengthKey` in the header; limits bound memory per connection.
 */
export class FrameReader {
  private chunks: Buffer[] = [];
  private size = 0;
  private header: Record<string, unknown> | undefined;
  private bodyLength = 0;
  private headerBytes = 0;

  constructor(private readonly lengthKey: string) {}

  push(chunk: Buffer): { header: Record<string, unknown>; body: Buffer } | undefined {
    this.chunks.push(chunk);
    this.size += chunk.length;
    if (this.header === undefined) {
      const all = Buffer.concat(this.chunks);
      const nl = all.indexOf(0x0a);
      if (nl < 0) {
        if (all.length > MAX_HEADER_BYTES) throw new ProtocolError('request header too long');
        this.chunks = [all];
        return undefined;
      }
      if (nl > MAX_HEADER_BYTES) throw new ProtocolError('request header too long');
      let parsed: unknown;
      try {
        parsed = JSON.parse(all.subarray(0, nl).toString('utf8'));
      } catch {
        throw new ProtocolError('request header is not JSON');
      }
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
        throw new ProtocolError('request header is not a JSON object');
      }
      this.header = parsed as Record<string, unknown>;
      const n = this.header[this.lengthKey];
      if (typeof n !== 'number' || !Number.isInteger(n) || n < 0 || n > MAX_BODY_BYTES) {
        throw new ProtocolError(`${this.lengthKey} must be an integer in 0..${MAX_BODY_BYTES}`);
      }
      this.bodyLength = n;
      this.headerBytes = nl + 1;
      this.chunks = [all];
    }
    if (this.size - this.headerBytes < this.bodyLength) return undefined;
    const all = Buffer.concat(this.chunks);
    return {
      header: this.header,
      body: all.subarray(this.headerBytes, this.headerBytes + this.bodyLength),
    };
  }
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
