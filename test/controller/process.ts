// Runs `trunkline controller` (the bundled CLI, as the Deployment does) as a child process.
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { ROOT } from '../helpers/paths.js';

const CLI = join(ROOT, 'dist', 'cni', 'trunkline-cli');

export interface ControllerProcess {
  identity: string;
  child: ChildProcess;
  port: number;
  logs(): string;
  get(path: string): Promise<{ status: number; body: string }>;
  exited: Promise<number | null>;
}

export async function spawnController(
  kubeconfig: string,
  identity: string,
  args: string[],
): Promise<ControllerProcess> {
  const child = spawn(
    process.execPath,
    [
      CLI,
      'controller',
      '--kubeconfig',
      kubeconfig,
      '--identity',
      identity,
      '--listen',
      '127.0.0.1:0',
      ...args,
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let err = '';
  child.stderr?.on('data', (c: Buffer) => {
    err += c.toString();
  });
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  for (let i = 0; i < 600; i++) {
    const m = /"event":"serving","port":(\d+)/.exec(err);
    if (m !== null) {
      const port = Number(m[1]);
      return {
        identity,
        child,
        port,
        logs: () => err,
        exited,
        get: async (path) => {
          const r = await fetch(`http://127.0.0.1:${port}${path}`);
          return { status: r.status, body: await r.text() };
        },
      };
    }
    if (child.exitCode !== null) throw new Error(`controller ${identity} exited early: ${err}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  child.kill('SIGKILL');
  throw new Error(`controller ${identity} did not start serving: ${err}`);
}
