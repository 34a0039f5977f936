// Node-side handle on the real-kernel VM tier (test/vm/run): whether it can run here, and running a
// command in it. Each runInVm call boots one VM (~10 s under TCG, plus ~3-5 s per node process).
import { spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ROOT } from '../helpers/paths.js';

const RUNNER = join(ROOT, 'test', 'vm', 'run');

function onPath(cmd: string): boolean {
  for (const dir of (process.env['PATH'] ?? '').split(':')) {
    try {
      accessSync(join(dir || '.', cmd), constants.X_OK);
      return true;
    } catch {}
  }
  return false;
}

/** Why VM tests cannot run here, or undefined when they can. */
export function vmSkipReason(): string | undefined {
  if (process.env['TRUNKLINE_IN_VM'] === '1') return 'already inside the test VM';
  if (process.env['TRUNKLINE_SKIP_VM'] === '1') return 'TRUNKLINE_SKIP_VM=1';
  if (process.platform !== 'linux' || process.arch !== 'x64') return 'the VM tier needs Linux on x86-64';
  for (const [cmd, pkg] of [
    ['qemu-system-x86_64', 'qemu-system-x86'],
    ['cpio', 'cpio'],
    ['depmod', 'kmod'],
  ] as const) {
    if (!onPath(cmd) && !onPath(`/usr/sbin/${cmd}`))
      return `${cmd} not found (install ${pkg}: scripts/setup.sh)`;
  }
  try {
    accessSync('/bin/busybox', constants.X_OK);
  } catch {
    return '/bin/busybox not found (install busybox-static)';
  }
  return undefined;
}

export const vmAvailable = (): boolean => vmSkipReason() === undefined;

export interface VmRun {
  /** The guest command's exit status; 124 = timed out, 125 = the VM died without reporting. */
  code: number;
  /** The guest's stdout and stderr, merged, as printed on its console. */
  output: string;
  /** The runner's own messages (setup, timeout, console tail on a crash). */
  stderr: string;
  ms: number;
}

export interface VmOptions {
  /** Kill the VM after this many seconds (default 600). */
  timeoutS?: number;
  /** Extra environment for the guest (names are passed through TRUNKLINE_VM_ENV). */
  env?: Record<string, string>;
  /** Working directory inside the guest (default: this process's). */
  cwd?: string;
  /** Called with guest output as it arrives. */
  onOutput?: (chunk: string) => void;
}

export function runInVm(argv: string[], opts: VmOptions = {}): Promise<VmRun> {
  const extra = opts.env ?? {};
  const env = {
    ...process.env,
    ...extra,
    TRUNKLINE_VM_ENV: [process.env['TRUNKLINE_VM_ENV'] ?? '', ...Object.keys(extra)].join(' ').trim(),
  };
  const args = ['--timeout', String(opts.timeoutS ?? 600), '--', ...argv];
  const t0 = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(RUNNER, args, {
      cwd: opts.cwd ?? process.cwd(),
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => {
      output += c;
      opts.onOutput?.(c);
    });
    child.stderr.setEncoding('utf8').on('data', (c: string) => {
      stderr += c;
    });
    child.on('error', reject);
    child.on('close', (code, signal) =>
      resolve({ code: code ?? (signal ? 128 : 1), output, stderr, ms: Date.now() - t0 }),
    );
  });
}

/**
 * argv that runs test files with one node test runner inside the guest. `files` are relative to the
 * repository, without extension ('test/hostnet/kernel-in-vm.test'). When this module runs compiled
 * (npm test) those are the compiled .js files beside it; from TypeScript sources they are bundled
 * with esbuild into .cache/vm/guest/ first, because loading tsx costs ~5 s more per boot under TCG.
 */
export async function guestTestArgv(...files: string[]): Promise<string[]> {
  const run = (js: string[]) => [process.execPath, '--test', '--test-reporter=tap', ...js];
  const self = fileURLToPath(import.meta.url);
  // Compiled: this file is <outDir>/test/vm/available.js, the tests are <outDir>/<file>.js.
  if (self.endsWith('.js')) return run(files.map((f) => join(dirname(self), '..', '..', `${f}.js`)));
  const { build } = await import('esbuild');
  // Inside the repository so the bundles' bare imports (yaml, …) resolve from node_modules.
  const outs = files.map((f) => join(ROOT, '.cache', 'vm', 'guest', `${f.replaceAll('/', '_')}.mjs`));
  await Promise.all(
    files.map((f, i) =>
      build({
        entryPoints: [join(ROOT, `${f}.ts`)],
        outfile: outs[i] as string,
        bundle: true,
        platform: 'node',
        format: 'esm',
        target: 'node20',
        packages: 'external',
        logLevel: 'warning',
      }),
    ),
  );
  return run(outs);
}
