// The agent's unix socket: accept, read one framed request, wait for a slot (back-pressure), serve it,
// reply, close. A slot is taken only once a whole request has arrived, so idle or slow clients cost a
// file descriptor and at most their buffered bytes — both bounded — never a slot other calls need.
import { chmod, mkdir, unlink } from 'node:fs/promises';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { dirname } from 'node:path';
import { log } from '../cni/log.js';
import { CURRENT_VERSION } from '../cni/types.js';
import { type Dispatcher, dispatch } from './dispatch.js';
import type { Gate } from './gate.js';
import { assertSafeDir, type PeerCheck } from './peer.js';
import {
  type AgentReply,
  BudgetExceeded,
  ByteBudget,
  encodeReply,
  FrameReader,
  ProtocolError,
  toRequest,
} from './protocol.js';

export interface ServerLimits {
  /** Connections open at once (reading, queued or served); beyond that a new one is told "busy". */
  maxOpen: number;
  /** Bytes of requests held at once across all connections. */
  requestMemory: number;
  /** A connection that sends nothing for this long is closed. */
  idleMs: number;
  /** A request must be complete this long after the connection was accepted. */
  readMs: number;
}

export const DEFAULT_LIMITS: ServerLimits = {
  maxOpen: 1024,
  requestMemory: 64 * 1024 * 1024,
  idleMs: 5_000,
  readMs: 30_000,
};

const BUSY: AgentReply = { status: 'busy', exitCode: 0, stdout: '' };
/** No reply: the peer went away or went idle. */
const GONE: AgentReply = { status: 'busy', exitCode: 0, stdout: '' };
const refused = new WeakSet<AgentReply>();

/** A refused request is answered with its CNI error, so the shim reports it instead of retrying. */
function refusal(e: ProtocolError): AgentReply {
  const err = {
    cniVersion: CURRENT_VERSION,
    code: e.code,
    msg: `trunkline agent refused the request: ${e.message}`,
  };
  const reply: AgentReply = { status: 'ok', exitCode: 1, stdout: `${JSON.stringify(err)}\n` };
  refused.add(reply);
  return reply;
}

export class SocketServer {
  private readonly server: Server;
  private readonly open = new Set<Promise<void>>();
  private readonly budget: ByteBudget;
  private connections = 0;
  private closing = false;

  constructor(
    readonly path: string,
    private readonly gate: Gate,
    private readonly d: Dispatcher,
    private readonly limits: ServerLimits = DEFAULT_LIMITS,
    private readonly peer?: PeerCheck,
  ) {
    this.budget = new ByteBudget(limits.requestMemory);
    this.server = createServer({ pauseOnConnect: true }, (sock) => this.track(this.handle(sock)));
  }

  /** Pending connections, for a graceful stop. */
  get pending(): number {
    return this.open.size;
  }

  /** Request bytes held right now (bounded by limits.requestMemory). */
  get bufferedBytes(): number {
    return this.budget.inUse;
  }

  /** `fd`: a listening socket inherited from systemd (activation.ts), already bound to `path`. */
  async listen(fd?: number): Promise<void> {
    if (fd !== undefined) {
      await assertSafeDir(dirname(this.path));
      await new Promise<void>((resolve, reject) => {
        this.server.once('error', reject);
        this.server.listen({ fd }, () => {
          this.server.off('error', reject);
          resolve();
        });
      });
      return;
    }
    await mkdir(dirname(this.path), { recursive: true, mode: 0o755 });
    await assertSafeDir(dirname(this.path));
    await removeStale(this.path);
    // umask while binding, so the socket is never reachable by others even for an instant.
    const old = process.umask(0o177);
    try {
      await new Promise<void>((resolve, reject) => {
        this.server.once('error', reject);
        this.server.listen({ path: this.path, backlog: 1024 }, () => {
          this.server.off('error', reject);
          resolve();
        });
      });
    } finally {
      process.umask(old);
    }
    await chmod(this.path, 0o600);
  }

  /** Stops accepting (the socket file goes away, so new shims run the bundled plugin) and waits for the rest. */
  async close(): Promise<void> {
    this.closing = true;
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    while (this.open.size > 0) await Promise.allSettled([...this.open]);
  }

  private track(p: Promise<void>): void {
    this.open.add(p);
    void p.finally(() => this.open.delete(p));
  }

  private async handle(sock: Socket): Promise<void> {
    sock.on('error', () => {
      // A shim that gave up (timeout) closes its end; nothing to do but drop the reply.
    });
    const who = this.peer?.(sock);
    if (who && !who.ok) {
      this.d.metrics.rejected.add({}, 1);
      log('warn', 'agent socket peer refused', { uid: who.uid ?? 'unknown' });
      sock.destroy();
      return;
    }
    if (this.connections >= this.limits.maxOpen) {
      this.d.metrics.rejected.add({}, 1);
      await write(sock, encodeReply(BUSY));
      return;
    }
    this.connections++;
    const reader = new FrameReader('stdinLength', this.budget);
    try {
      const reply = await this.serve(sock, reader);
      if (reply === GONE) return;
      await write(sock, encodeReply(reply), refused.has(reply) ? this.limits.idleMs : 0);
    } catch (e) {
      log('error', 'agent request failed', { error: String((e as Error)?.stack ?? e) });
      sock.destroy();
    } finally {
      reader.release();
      this.connections--;
    }
  }

  private async serve(sock: Socket, reader: FrameReader): Promise<AgentReply> {
    let req: ReturnType<typeof toRequest>;
    try {
      const frame = await readFrame(sock, reader, this.limits);
      if (typeof frame === 'string') {
        if (frame === 'gone') {
          sock.destroy();
          return GONE;
        }
        // The request never ran: "busy" lets a shim that was merely descheduled on a loaded node retry,
        // where a silent close made it fail with code 11 and leave a DEL undone.
        log('warn', 'agent connection closed', { reason: frame });
        this.d.metrics.rejected.add({}, 1);
        return { ...BUSY, reason: frame };
      }
      req = toRequest(frame.header, frame.body);
    } catch (e) {
      if (e instanceof BudgetExceeded) {
        this.d.metrics.rejected.add({}, 1);
        return BUSY;
      }
      if (!(e instanceof ProtocolError)) throw e;
      this.d.metrics.protocolErrors.add({}, 1);
      log('warn', 'bad request on the agent socket', { error: e.message, code: e.code });
      return refusal(e);
    }
    if ('unsupported' in req) {
      this.d.metrics.fallbacks.add({ reason: 'version' }, 1);
      return { status: 'fallback', exitCode: 0, stdout: '', reason: req.unsupported };
    }
    const slot = this.gate.enter();
    if (!slot) {
      this.d.metrics.rejected.add({}, 1);
      return BUSY;
    }
    this.gauges();
    const release = await slot;
    this.gauges();
    try {
      return await dispatch(this.d, req);
    } finally {
      release();
      this.gauges();
    }
  }

  private gauges(): void {
    this.d.metrics.inFlight.set({}, this.gate.inFlight);
    this.d.metrics.queued.set({}, this.gate.queued);
  }

  get isClosing(): boolean {
    return this.closing;
  }
}

type Frame = { header: Record<string, unknown>; body: Buffer };

/** One request frame, or why there is none: the peer went away, went idle, or was too slow. */
function readFrame(sock: Socket, reader: FrameReader, limits: ServerLimits): Promise<Frame | string> {
  return new Promise((resolve, reject) => {
    let idle: NodeJS.Timeout | undefined;
    const armIdle = () => {
      clearTimeout(idle);
      idle = setTimeout(() => finish(`no data for ${limits.idleMs} ms`), limits.idleMs);
    };
    const total = setTimeout(() => finish(`request not complete within ${limits.readMs} ms`), limits.readMs);
    const finish = (r: Error | Frame | string) => {
      clearTimeout(idle);
      clearTimeout(total);
      sock.off('data', onData);
      sock.off('end', onEnd);
      sock.off('close', onEnd);
      sock.pause();
      if (r instanceof Error) reject(r);
      else resolve(r);
    };
    const onData = (chunk: Buffer) => {
      armIdle();
      try {
        const f = reader.push(chunk);
        if (f) finish(f);
      } catch (e) {
        finish(e as Error);
      }
    };
    const onEnd = () => finish('gone');
    sock.on('data', onData);
    sock.on('end', onEnd);
    sock.on('close', onEnd);
    armIdle();
    sock.resume();
  });
}

/**
 * Writes the reply and closes. The socket is paused (its EOF would never be read, keeping it — and a
 * graceful stop — waiting), so it is destroyed once the data is flushed rather than half-closed. After
 * a refusal the client may still be sending (a 100 MB frame): its input is then discarded for up to
 * `drainMs` so it reads the reply instead of failing on a reset connection.
 */
function write(sock: Socket, data: Buffer, drainMs = 0): Promise<void> {
  return new Promise((resolve) => {
    if (sock.destroyed) {
      resolve();
      return;
    }
    sock.once('error', () => resolve());
    sock.once('close', () => resolve());
    if (drainMs > 0) {
      const timer = setTimeout(() => sock.destroy(), drainMs);
      sock.once('close', () => clearTimeout(timer));
      sock.on('data', () => timer.refresh());
      sock.end(data);
      sock.resume();
      return;
    }
    sock.end(data, () => {
      sock.destroy();
      resolve();
    });
  });
}

/** A socket file left by a dead agent is removed; a live agent on the path is an error. */
async function removeStale(path: string): Promise<void> {
  const alive = await new Promise<boolean>((resolve) => {
    const c = connect(path);
    c.once('connect', () => {
      c.destroy();
      resolve(true);
    });
    c.once('error', () => resolve(false));
  });
  if (alive) throw new Error(`another agent is already listening on ${path}`);
  await unlink(path).catch((e: NodeJS.ErrnoException) => {
    if (e.code !== 'ENOENT') throw e;
  });
}
