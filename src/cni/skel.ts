// The process entry shared by every plugin, and the same dispatch in-process (invoke) for the agent.
import { readFileSync, writeSync } from 'node:fs';
import { runAs } from './chain.js';
import { parseNetConf } from './conf.js';
import { parseEnv } from './env.js';
import { CniError, Code, causedBy, incompatibleVersion, toCniError } from './errors.js';
import { errorChain, log } from './log.js';
import { EXEC_ONLY, type Outcome, type Plugin, type Registry } from './plugin.js';
import { CURRENT_VERSION, SUPPORTED_VERSIONS } from './types.js';
import { compareVersions, decodeResult, encodeResult } from './version.js';

function versionInfo(): string {
  return JSON.stringify({ cniVersion: CURRENT_VERSION, supportedVersions: SUPPORTED_VERSIONS });
}

/** Total: whatever was thrown (a stack overflow included), the caller gets a CNI error object. */
function failure(err: unknown, cniVersion: string): Outcome {
  try {
    const e = toCniError(err);
    return { exitCode: 1, stdout: `${JSON.stringify(e.toObject(cniVersion))}\n` };
  } catch {
    const e = { cniVersion, code: Code.Internal, msg: 'the error could not be formatted' };
    return { exitCode: 1, stdout: `${JSON.stringify(e)}\n` };
  }
}

/** The CNI error object for `err`, in the version of the config in `stdin`. */
export function errorOutcome(err: unknown, stdin: Buffer): Outcome {
  return failure(err, sniffVersion(stdin));
}

/** Best-effort read of the config's version so errors are reported in it. */
function sniffVersion(stdin: Buffer): string {
  try {
    const v = (JSON.parse(stdin.toString('utf8')) as { cniVersion?: unknown }).cniVersion;
    return typeof v === 'string' && (SUPPORTED_VERSIONS as readonly string[]).includes(v)
      ? v
      : CURRENT_VERSION;
  } catch {
    return CURRENT_VERSION;
  }
}

/**
 * Runs one command in-process. Never throws: failures become the CNI error object. Delegation inside
 * the call runs the types in `registry` in-process too.
 */
export function invoke<C extends Parameters<Plugin['add']>[0]['conf']>(
  plugin: Plugin<C>,
  envVars: Record<string, string | undefined>,
  stdin: Buffer,
  registry: Registry = EXEC_ONLY,
): Promise<Outcome> {
  return runAs(plugin.name, () => run(plugin, envVars, stdin, registry));
}

async function run<C extends Parameters<Plugin['add']>[0]['conf']>(
  plugin: Plugin<C>,
  envVars: Record<string, string | undefined>,
  stdin: Buffer,
  registry: Registry,
): Promise<Outcome> {
  let version = sniffVersion(stdin);
  try {
    const env = parseEnv(envVars);
    if (env.command === 'VERSION') return { exitCode: 0, stdout: `${versionInfo()}\n` };
    const base = parseNetConf(stdin);
    version = base.cniVersion;
    if (env.command === 'CHECK' && compareVersions(version, '0.4.0') < 0) {
      throw incompatibleVersion(
        `config version "${version}" does not allow CHECK`,
        'CHECK needs cniVersion >= 0.4.0',
      );
    }
    if ((env.command === 'STATUS' || env.command === 'GC') && compareVersions(version, '1.1.0') < 0) {
      throw incompatibleVersion(
        `config version "${version}" does not allow ${env.command}`,
        `${env.command} needs cniVersion >= 1.1.0`,
      );
    }
    const conf = await plugin.loadConf(base, env);
    const inv = {
      env,
      conf,
      stdin,
      registry,
      ...(base.prevResult !== undefined && base.prevResult !== null
        ? { prevResult: decodeResult(base.prevResult, version) }
        : {}),
    };
    switch (env.command) {
      case 'ADD': {
        const result = await plugin.add(inv);
        return { exitCode: 0, stdout: `${JSON.stringify(encodeResult(result, version))}\n` };
      }
      case 'DEL':
        await plugin.del(inv);
        break;
      case 'CHECK':
        await plugin.check(inv);
        break;
      case 'STATUS':
        await plugin.status(inv);
        break;
      case 'GC':
        await plugin.gc(inv);
        break;
    }
    return { exitCode: 0, stdout: '' };
  } catch (err) {
    // A 999 caused by another CniError is a delegate's own failure, already logged by the caller.
    const reported = err instanceof CniError && err.cause instanceof CniError;
    if (!(err instanceof CniError) || (err.code === Code.Internal && !reported)) {
      log('error', 'unexpected failure', {
        plugin: plugin.name,
        error: errorChain(err),
      });
    }
    return failure(err, version);
  }
}

/**
 * Process entry: `main(type, registry)` is the whole body of a src/bin/<type>.ts file. The plugin and
 * every delegate found in `registry` run in this one process (no agent: one Node start per call).
 */
export function main(type: string, registry: Registry): void {
  const done = takeDoneFd();
  let stdin: Buffer;
  try {
    stdin = process.env['CNI_COMMAND'] === 'VERSION' ? safeRead() : readFileSync(0);
  } catch (e) {
    finish(failure(causedBy(Code.IoFailure, 'error reading from stdin', e), CURRENT_VERSION), done);
    return;
  }
  Promise.resolve(registry.get(type))
    .then((plugin) => {
      if (!plugin) throw new CniError(Code.Internal, `plugin type ${type} is not built into this file`);
      return invoke(plugin, process.env, stdin, registry);
    })
    .then(
      (o) => finish(o, done),
      (e) => finish(failure(e, sniffVersion(stdin)), done),
    );
}

function safeRead(): Buffer {
  try {
    return readFileSync(0);
  } catch {
    return Buffer.alloc(0);
  }
}

function finish(o: Outcome, done: number | undefined): void {
  // Exit explicitly once stdout is flushed: a plugin must not linger on open handles.
  process.stdout.write(o.stdout, () => {
    if (done !== undefined) reportDone(done);
    process.exit(o.exitCode);
  });
}

/**
 * Started by the shim, the process tells it its exit code on TRUNKLINE_DONE_FD once its output is
 * complete: the shim answers the runtime then instead of waiting for Node's teardown (~4 ms a call).
 * The variable is taken out of the environment at once, so no plugin this one executes reports into
 * the shim's pipe.
 */
function takeDoneFd(): number | undefined {
  const raw = process.env['TRUNKLINE_DONE_FD'];
  delete process.env['TRUNKLINE_DONE_FD'];
  const fd = Number(raw);
  return raw !== undefined && Number.isInteger(fd) && fd >= 3 && fd <= 65535 ? fd : undefined;
}

/** Reports after every other exit listener: nothing of the call may still be open by then. */
function reportDone(fd: number): void {
  process.once('exit', (code) => {
    try {
      writeSync(fd, Uint8Array.of(code & 0xff));
    } catch {
      // the shim is gone or the fd is not its pipe: the exit status still tells
    }
  });
}
