// The agent's unix socket: accept, read one framed request, wait for a slot (back-pressure), serve it,
// reply, close. A slot is taken only once a whole request has arrived, so idle or slow clients cost a
// file descriptor and at most their buffered bytes — both bounded — never a slot other calls need.
import { chmod, mkdir } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
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
import type { RequestTrace } from './trace.js';
import { type ReadLimits, readFrame, removeStale, write } from './wire.js';

export interface ServerLimits extends ReadLimits {
  /** Connections open at once (reading, queued or served); beyond that a new one is told "busy". */
  maxOpen: number;
  /** Bytes of requests held at once across all connections. */
  requestMemory: number;
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
    const trace = this.d.tracer?.begin();
    try {
      const reply = await this.serve(sock, reader, trace);
      if (reply === GONE) return;
      const t0 = trace && performance.now();
      await write(sock, encodeReply(reply), refused.has(reply) ? this.limits.idleMs : 0);
      if (trace && t0 !== undefined) {
        this.d.tracer?.add('reply', performance.now() - t0, trace);
        trace.ok = reply.status === 'ok' && reply.exitCode === 0;
        this.d.tracer?.end(trace);
      }
    } catch (e) {
      log('error', 'agent request failed', { error: String((e as Error)?.stack ?? e) });
      sock.destroy();
    } finally {
      reader.release();
      this.connections--;
    }
  }

  private async serve(sock: Socket, reader: FrameReader, trace?: RequestTrace): Promise<AgentReply> {
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
      if (trace) {
        this.d.tracer?.add('wait', frame.firstAt - trace.start, trace);
        this.d.tracer?.add('read', performance.now() - frame.firstAt, trace);
      }
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
    const queued = trace && performance.now();
    const release = await slot;
    this.gauges();
    try {
      const tracer = this.d.tracer;
      if (!tracer || !trace || queued === undefined) return await dispatch(this.d, req);
      tracer.add('queue', performance.now() - queued, trace);
      trace.type = req.type;
      trace.command = req.env['CNI_COMMAND'] ?? req.command;
      return await tracer.within(trace, () => dispatch(this.d, req));
    } finally {
      release();
      this.gauges();
      if (this.gate.inFlight === 0 && this.gate.queued === 0) this.d.idle?.();
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
