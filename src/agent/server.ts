// The agent's unix socket: accept, wait for a slot (back-pressure), read one framed request, serve it,
// reply, close. Connections are accepted paused so a waiting shim costs a file descriptor, not memory.
import { chmod, mkdir, unlink } from 'node:fs/promises';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { dirname } from 'node:path';
import { log } from '../cni/log.js';
import { type Dispatcher, dispatch } from './dispatch.js';
import type { Gate } from './gate.js';
import { type AgentReply, encodeReply, FrameReader, ProtocolError, toRequest } from './protocol.js';

const READ_TIMEOUT_MS = 10_000;

export class SocketServer {
  private readonly server: Server;
  private readonly open = new Set<Promise<void>>();
  private closing = false;

  constructor(
    readonly path: string,
    private readonly gate: Gate,
    private readonly d: Dispatcher,
  ) {
    this.server = createServer({ pauseOnConnect: true }, (sock) => this.track(this.handle(sock)));
  }

  /** Pending connections, for a graceful stop. */
  get pending(): number {
    return this.open.size;
  }

  async listen(): Promise<void> {
    await mkdir(dirname(this.path), { recursive: true, mode: 0o755 });
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
    const slot = this.gate.enter();
    if (!slot) {
      this.d.metrics.rejected.add({}, 1);
      await write(sock, encodeReply({ status: 'busy', exitCode: 0, stdout: '' }));
      return;
    }
    this.gauges();
    const release = await slot;
    this.gauges();
    try {
      const frame = await readFrame(sock);
      if (!frame) return;
      const req = toRequest(frame.header, frame.body);
      let reply: AgentReply;
      if ('unsupported' in req) {
        this.d.metrics.fallbacks.add({ reason: 'version' }, 1);
        reply = { status: 'fallback', exitCode: 0, stdout: '', reason: req.unsupported };
      } else {
        reply = await dispatch(this.d, req);
      }
      await write(sock, encodeReply(reply));
    } catch (e) {
      if (e instanceof ProtocolError) {
        this.d.metrics.protocolErrors.add({}, 1);
        log('warn', 'bad request on the agent socket', { error: e.message });
      } else {
        log('error', 'agent request failed', { error: String((e as Error)?.stack ?? e) });
      }
      sock.destroy();
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

/** One request frame, or undefined when the peer went away before sending it all. */
function readFrame(sock: Socket): Promise<{ header: Record<string, unknown>; body: Buffer } | undefined> {
  return new Promise((resolve, reject) => {
    const reader = new FrameReader('stdinLength');
    const timer = setTimeout(
      () => finish(new ProtocolError('request not received in time')),
      READ_TIMEOUT_MS,
    );
    const finish = (r: Error | { header: Record<string, unknown>; body: Buffer } | undefined) => {
      clearTimeout(timer);
      sock.off('data', onData);
      sock.off('end', onEnd);
      sock.off('close', onEnd);
      sock.pause();
      if (r instanceof Error) reject(r);
      else resolve(r);
    };
    const onData = (chunk: Buffer) => {
      try {
        const f = reader.push(chunk);
        if (f) finish(f);
      } catch (e) {
        finish(e as Error);
      }
    };
    const onEnd = () => finish(undefined);
    sock.on('data', onData);
    sock.on('end', onEnd);
    sock.on('close', onEnd);
    sock.resume();
  });
}

/**
 * Writes the reply and closes. The socket is paused (its EOF would never be read, keeping it — and a
 * graceful stop — waiting), so it is destroyed once the data is flushed rather than half-closed.
 */
function write(sock: Socket, data: Buffer): Promise<void> {
  return new Promise((resolve) => {
    if (sock.destroyed) {
      resolve();
      return;
    }
    sock.once('error', () => resolve());
    sock.once('close', () => resolve());
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
