import { spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { errnoOf, KernelError } from '../errors.js';

export interface RunResult {
  stdout: string;
  stderr: string;
  code: number;
}

// C locale: util-linux (nsenter) translates its messages, and errors.ts matches the English text.
let childEnv: NodeJS.ProcessEnv | undefined;

/** Spawn argv (never a shell), optionally feeding stdin; resolves with the exit status, never rejects on it. */
export function run(argv: readonly string[], opts: { stdin?: string } = {}): Promise<RunResult> {
  const [cmd, ...args] = argv;
  if (cmd === undefined) return Promise.reject(new KernelError('empty argv'));
  childEnv ??= { ...process.env, LC_ALL: 'C' };
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, {
      stdio: [opts.stdin !== undefined ? 'pipe' : 'ignore', 'pipe', 'pipe'],
      env: childEnv,
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout?.on('data', (b: Buffer) => out.push(b));
    child.stderr?.on('data', (b: Buffer) => err.push(b));
    child.on('error', (e) =>
      reject(new KernelError(`cannot run ${cmd}: ${errnoOf(e) ?? 'spawn failed'}`, facts(argv, e))),
    );
    child.on('close', (code, signal) =>
      resolve({
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8') + (signal ? `killed by ${signal}` : ''),
        code: code ?? 128,
      }),
    );
    if (opts.stdin !== undefined && child.stdin) {
      // EPIPE when the tool exits early (e.g. ip -batch stops at a failing line) is reported via stderr.
      child.stdin.on('error', () => {});
      child.stdin.end(opts.stdin);
    }
  });
}

const facts = (argv: readonly string[], e: unknown) => ({ argv, errno: errnoOf(e), cause: e });

const SBIN_DIRS = ['/usr/sbin', '/sbin', '/usr/bin', '/bin'];
const resolved = new Map<string, string>();

/**
 * Absolute path of a system tool. Runtimes often call CNI plugins with a PATH lacking /usr/sbin,
 * so look in the usual places first; fall back to the bare name (PATH lookup).
 */
export function tool(name: string): string {
  let p = resolved.get(name);
  if (p === undefined) {
    p = name;
    for (const dir of SBIN_DIRS) {
      try {
        accessSync(`${dir}/${name}`, constants.X_OK);
        p = `${dir}/${name}`;
        break;
      } catch {}
    }
    resolved.set(name, p);
  }
  return p;
}
