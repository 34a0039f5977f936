// Makes a loopback TCP service of the test process (the test API server) reachable on loopback inside
// another network namespace, where containerd runs the plugins: a relay process in that namespace
// listens on 127.0.0.1 and pipes each connection through a unix socket (file system, so it crosses
// namespaces) to the test process, which connects to the real port. Byte-transparent, TLS included.
import { type ChildProcess, spawn } from 'node:child_process';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';

const RELAY = `
const net = require('node:net');
const srv = net.createServer((c) => { const u = net.createConnection(process.argv[1]); c.pipe(u).pipe(c);
  c.on('error', () => u.destroy()); u.on('error', () => c.destroy()); });
srv.listen(0, '127.0.0.1', () => process.stdout.write(srv.address().port + '\\n'));
`;

export interface PortBridge {
  /** The port on 127.0.0.1 inside the namespace. */
  port: number;
  close(): Promise<void>;
}

export async function bridgePort(netns: string, targetPort: number, dir: string): Promise<PortBridge> {
  const path = join(dir, `bridge-${targetPort}.sock`);
  const open = new Set<Socket>();
  const server: Server = createServer((c) => {
    open.add(c);
    c.once('close', () => open.delete(c));
    const t = createConnection(targetPort, '127.0.0.1');
    c.pipe(t).pipe(c);
    c.on('error', () => t.destroy());
    t.on('error', () => c.destroy());
  });
  await new Promise<void>((r) => server.listen(path, r));
  const relay: ChildProcess = spawn('nsenter', [`--net=${netns}`, process.execPath, '-e', RELAY, path], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const port = await new Promise<number>((resolve, reject) => {
    relay.stdout!.once('data', (b: Buffer) => resolve(Number(b.toString().trim())));
    relay.once('exit', (code) => reject(new Error(`port relay exited with ${code}`)));
  });
  return {
    port,
    close: async () => {
      relay.kill('SIGKILL');
      for (const c of open) c.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
