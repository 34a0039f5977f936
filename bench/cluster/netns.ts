// Namespaces for the simulation, made and removed in bulk (one `ip -batch` for a thousand pods rather
// than a process each), and loopback listeners made inside a node's namespace but served here.
import { spawn, spawnSync } from 'node:child_process';
import type { Server } from 'node:net';

export const nsPath = (name: string) => `/var/run/netns/${name}`;

function batch(lines: string[], ns?: string): void {
  if (lines.length === 0) return;
  const r = spawnSync('ip', [...(ns ? ['-n', ns] : []), '-force', '-batch', '-'], {
    input: `${lines.join('\n')}\n`,
    encoding: 'utf8',
  });
  if (r.status !== 0) throw new Error(`ip -batch failed (${r.status}): ${r.stderr.slice(0, 400)}`);
}

export function addNetns(names: string[]): void {
  batch(names.map((n) => `netns add ${n}`));
}

/** Removes the namespaces that exist among `names` (missing ones are not an error). */
export function delNetns(names: string[]): void {
  const have = new Set(
    spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' })
      .stdout.split('\n')
      .map((l) => l.split(' ')[0]),
  );
  batch(names.filter((n) => have.has(n)).map((n) => `netns del ${n}`));
}

/** Runs `ip` command lines inside namespace `ns`, in one process. */
export function inNetns(ns: string, lines: string[]): void {
  batch(lines, ns);
}

/**
 * A listener on 127.0.0.1:`port` inside namespace `ns`, owned by this process: a helper started in
 * the namespace opens it and hands it over (SCM_RIGHTS through the IPC channel), then exits. Its
 * connections arrive here, so a node's agent reaches a server of this process at its own loopback,
 * as a hostNetwork pod reaches the API server, without a relay hop.
 */
export function listenIn(ns: string, port: number): Promise<Server> {
  const script = `const net=require('net');const s=net.createServer();s.on('error',(e)=>{console.error(e.message);process.exit(1)});s.listen(${port},'127.0.0.1',()=>process.send('listening',s,()=>{s.close();process.disconnect()}))`;
  const child = spawn('nsenter', [`--net=${nsPath(ns)}`, process.execPath, '-e', script], {
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  return new Promise<Server>((resolve, reject) => {
    child.once('message', (_m, handle) => resolve(handle as Server));
    child.once('exit', (code) => reject(new Error(`listener helper in ${ns} exited with ${code}`)));
  });
}
