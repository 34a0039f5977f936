// A TCP port on 127.0.0.1 inside a test's host namespace that reaches a server on this process's
// loopback (the test API server, etcd): plugins and the agent run in the scene's namespace, where the
// machine's loopback is out of sight. A relay in that namespace forwards each connection through a
// unix socket (namespaces do not scope the filesystem) to this process, which connects to the target.
// A connection either end drops or resets is torn down on the other, so a killed etcd or a dropped API
// request reaches the client as it would over a plain TCP connection.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { connect, createServer, type Socket } from 'node:net';
import { join } from 'node:path';

function splice(a: Socket, b: Socket): void {
  const end = () => {
    a.destroy();
    b.destroy();
  };
  for (const s of [a, b]) {
    s.on('error', end);
    s.on('close', end);
  }
  a.pipe(b);
  b.pipe(a);
}

const RELAY = `const net=require('net');const u=process.argv[1];
const s=net.createServer(c=>{const o=net.connect(u);const end=()=>{c.destroy();o.destroy()};
for(const x of [c,o]){x.on('error',end);x.on('close',end)}c.pipe(o);o.pipe(c)});
s.listen(0,'127.0.0.1',()=>process.stdout.write(s.address().port+'\\n'));`;

export interface Forward {
  /** The port on 127.0.0.1 inside the namespace. */
  port: number;
  /** Connections forwarded so far. */
  readonly connections: number;
  /** Called as each connection arrives, with the count so far. */
  onConnection: ((n: number) => void) | undefined;
  stop(): Promise<void>;
}

export async function forwardIntoNetns(netnsPath: string, targetPort: number, dir: string): Promise<Forward> {
  const path = join(dir, `fwd-${randomBytes(4).toString('hex')}.sock`);
  const conns = new Set<Socket>();
  let count = 0;
  const server = createServer((c) => {
    fwd.onConnection?.(++count);
    const o = connect(targetPort, '127.0.0.1');
    conns.add(c).add(o);
    c.once('close', () => conns.delete(c));
    o.once('close', () => conns.delete(o));
    splice(c, o);
  });
  await new Promise<void>((resolve) => server.listen(path, resolve));
  const relay = spawn('nsenter', [`--net=${netnsPath}`, process.execPath, '-e', RELAY, path], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const port = await new Promise<number>((resolve, reject) => {
    relay.stdout.once('data', (b: Buffer) => resolve(Number(b.toString().trim())));
    relay.once('exit', (code) => reject(new Error(`relay in ${netnsPath} exited ${code}`)));
  });
  const fwd: Forward = {
    port,
    get connections() {
      return count;
    },
    onConnection: undefined,
    stop: async () => {
      relay.kill('SIGKILL');
      for (const c of conns) c.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  return fwd;
}
