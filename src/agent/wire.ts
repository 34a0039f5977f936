// The agent socket's byte-level I/O, one connection at a time: read one request frame (bounded by
// idle and total read time), write the reply and close, and tell a stale socket file from a live agent.
import { unlink } from 'node:fs/promises';
import { connect, type Socket } from 'node:net';
import type { FrameReader } from './protocol.js';

export interface ReadLimits {
  /** A connection that sends nothing for this long is closed. */
  idleMs: number;
  /** A request must be complete this long after the connection was accepted. */
  readMs: number;
}

/** A decoded request; `firstAt`: when its first byte arrived (performance.now()). */
type Frame = { header: Record<string, unknown>; body: Buffer; firstAt: number };

/** One request frame, or why there is none: the peer went away, went idle, or was too slow. */
export function readFrame(sock: Socket, reader: FrameReader, limits: ReadLimits): Promise<Frame | string> {
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
    let firstAt = 0;
    const onData = (chunk: Buffer) => {
      if (firstAt === 0) firstAt = performance.now();
      armIdle();
      try {
        const f = reader.push(chunk);
        if (f) finish({ ...f, firstAt });
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
export function write(sock: Socket, data: Buffer, drainMs = 0): Promise<void> {
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
export async function removeStale(path: string): Promise<void> {
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
