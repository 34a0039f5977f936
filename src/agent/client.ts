// A TypeScript client of the agent socket (tests, benchmarks, tools); the shim is the C one.
import { connect } from 'node:net';
import { type AgentReply, encodeRequest, FrameReader, toReply } from './protocol.js';

export function callAgent(
  socketPath: string,
  req: { type: string; env: Record<string, string>; stdin: Buffer | string; version?: number },
  timeoutMs = 120_000,
): Promise<AgentReply> {
  const stdin = typeof req.stdin === 'string' ? Buffer.from(req.stdin) : req.stdin;
  return new Promise((resolve, reject) => {
    const sock = connect(socketPath);
    const reader = new FrameReader('stdoutLength');
    const timer = setTimeout(() => {
      sock.destroy();
      reject(new Error(`agent did not answer within ${timeoutMs} ms`));
    }, timeoutMs);
    let done = false;
    sock.on('data', (c: Buffer) => {
      try {
        const f = reader.push(c);
        if (f && !done) {
          done = true;
          clearTimeout(timer);
          sock.destroy();
          resolve(toReply(f.header, f.body));
        }
      } catch (e) {
        clearTimeout(timer);
        sock.destroy();
        reject(e);
      }
    });
    sock.on('error', (e) => {
      clearTimeout(timer);
      if (!done) reject(e);
    });
    sock.on('close', () => {
      clearTimeout(timer);
      if (!done) reject(new Error('agent closed the connection without a reply'));
    });
    sock.write(
      encodeRequest({
        type: req.type,
        command: req.env['CNI_COMMAND'] ?? '',
        env: req.env,
        stdin,
        ...(req.version !== undefined ? { version: req.version } : {}),
      }),
    );
  });
}
