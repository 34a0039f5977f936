// Delegation: run another plugin with the CNI protocol. Types found in the caller's registry (the node
// agent's plugins, or a plugin process's own types) run in-process with no spawn; everything else is
// executed from CNI_PATH.
import { spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { join } from 'node:path';
import { CHAIN_ENV, enterDelegate } from './chain.js';
import { parseJson } from './conf.js';
import { invokeWithDeadline } from './deadline.js';
import { CniError, Code, causedBy, invalidConfig, tryAgainLater } from './errors.js';
import type { Outcome, Registry } from './plugin.js';
import type { CniCommand, CniEnv, Result } from './types.js';
import { decodeResult } from './version.js';

export interface DelegateEnv {
  command: CniCommand;
  containerId?: string;
  netns?: string;
  ifname?: string;
  args?: string;
  path: string[];
}

const DEFAULT_TIMEOUT_MS = 120_000;

interface ExecOptions {
  timeoutMs?: number;
  /** Execute the plugin inside this namespace (path): the lab runs several simulated nodes. */
  hostNetns?: string;
  /** Types run in-process; without it every plugin is executed. */
  registry?: Registry | undefined;
}

export function findInPath(type: string, path: readonly string[]): string {
  if (type === '' || type.includes('/')) throw invalidConfig(`invalid plugin type "${type}"`);
  for (const dir of path) {
    const candidate = join(dir, type);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // try the next directory
    }
  }
  throw invalidConfig(`failed to find plugin "${type}" in path [${path.join(' ')}]`);
}

/** The CNI variables of a delegation; an executed plugin gets them over the caller's environment. */
function cniVars(env: DelegateEnv): Record<string, string> {
  return {
    CNI_COMMAND: env.command,
    CNI_CONTAINERID: env.containerId ?? '',
    CNI_NETNS: env.netns ?? '',
    CNI_IFNAME: env.ifname ?? '',
    CNI_ARGS: env.args ?? '',
    CNI_PATH: env.path.join(':'),
  };
}

function run(
  file: string,
  vars: Record<string, string | undefined>,
  stdin: Buffer,
  timeoutMs: number,
  hostNetns: string | undefined,
): Promise<Outcome> {
  // A plugin acts on "its" host namespace; the lab runs several simulated nodes from one process.
  const argv = hostNetns ? ['nsenter', `--net=${hostNetns}`, file] : [file];
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0]!, argv.slice(1), {
      env: vars as NodeJS.ProcessEnv,
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    const chunks: Buffer[] = [];
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
      // A grandchild may still hold stdout open; the caller must not wait for it.
      child.stdout.destroy();
      reject(tryAgainLater(`plugin ${file} did not finish within ${timeoutMs} ms`));
    }, timeoutMs);
    child.stdout.on('data', (c: Buffer) => chunks.push(c));
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(causedBy(Code.IoFailure, `failed to execute plugin ${file}`, e));
    });
    // 'close', not 'exit': only then has all of stdout been read.
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (timedOut) return;
      if (signal) {
        reject(new CniError(Code.Internal, `plugin ${file} was killed by ${signal}`));
        return;
      }
      resolve({ exitCode: code ?? 1, stdout: Buffer.concat(chunks).toString('utf8') });
    });
    child.stdin.on('error', () => {
      // The plugin may exit before reading stdin; its exit status tells what happened.
    });
    child.stdin.end(stdin);
  });
}

/** Turns a plugin's exit status and stdout into parsed JSON, or throws its error object as CniError. */
export function parseOutcome(type: string, o: Outcome): unknown {
  const text = o.stdout.trim();
  if (o.exitCode !== 0) {
    let parsed: Record<string, unknown> | undefined;
    try {
      parsed = JSON.parse(text) as Record<string, unknown>;
    } catch {
      parsed = undefined;
    }
    if (parsed && typeof parsed['code'] === 'number') {
      const details =
        typeof parsed['details'] === 'string' && parsed['details'] !== '' ? parsed['details'] : undefined;
      throw new CniError(parsed['code'], String(parsed['msg'] ?? ''), details);
    }
    throw new CniError(
      Code.Internal,
      `plugin ${type} failed with exit status ${o.exitCode}`,
      text.slice(0, 500),
    );
  }
  return text === '' ? undefined : parseJson(text, `output of plugin ${type}`);
}

export async function execPlugin(
  type: string,
  env: DelegateEnv,
  stdin: Buffer | string,
  opts: ExecOptions = {},
): Promise<unknown> {
  const input = typeof stdin === 'string' ? Buffer.from(stdin) : stdin;
  const vars = { ...cniVars(env), [CHAIN_ENV]: enterDelegate(type).join(',') };
  // A lab node's namespace is entered by a process of its own, so its plugins are always executed.
  const local = opts.hostNetns === undefined ? await opts.registry?.get(type, env.path) : undefined;
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const outcome = local
    ? await invokeWithDeadline(local, vars, input, timeoutMs, opts.registry!)
    : // Copying the environment (a few hundred µs in the agent) is left to the calls that exec.
      await run(findInPath(type, env.path), { ...process.env, ...vars }, input, timeoutMs, opts.hostNetns);
  return parseOutcome(type, outcome);
}

const fromEnv = (env: CniEnv, command: CniCommand): DelegateEnv => ({
  command,
  containerId: env.containerId,
  netns: env.netns,
  ifname: env.ifname,
  args: env.args.raw,
  path: env.path,
});

const bytes = (conf: object | Buffer): Buffer =>
  Buffer.isBuffer(conf) ? conf : Buffer.from(JSON.stringify(conf));

/** The calling plugin's side of an IPAM-style delegation. */
interface Caller {
  env: CniEnv;
  registry: Registry;
}

/** IPAM-style delegation: the delegate gets the caller's whole config and environment. */
export async function delegateAdd(type: string, inv: Caller, conf: object | Buffer): Promise<Result> {
  const out = await execPlugin(type, fromEnv(inv.env, 'ADD'), bytes(conf), { registry: inv.registry });
  if (out === undefined) throw new CniError(Code.Internal, `plugin ${type} returned no result for ADD`);
  return decodeResult(out);
}

async function delegate(command: CniCommand, type: string, inv: Caller, conf: object | Buffer) {
  await execPlugin(type, fromEnv(inv.env, command), bytes(conf), { registry: inv.registry });
}
export const delegateDel = (type: string, inv: Caller, conf: object | Buffer) =>
  delegate('DEL', type, inv, conf);
export const delegateCheck = (type: string, inv: Caller, conf: object | Buffer) =>
  delegate('CHECK', type, inv, conf);
export const delegateStatus = (type: string, inv: Caller, conf: object | Buffer) =>
  delegate('STATUS', type, inv, conf);
export const delegateGc = (type: string, inv: Caller, conf: object | Buffer) =>
  delegate('GC', type, inv, conf);
