// The native test tier's toolchain: clang with the ASan runtime for shared objects (the addon inside
// Node) and libFuzzer. Missing pieces are named so the tier fails (or, locally, skips) saying what
// to install.
import { execFile, execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { promisify } from 'node:util';

export const execAsync = promisify(execFile);

export const SANITIZE = [
  '-g',
  '-O1',
  '-fno-omit-frame-pointer',
  '-fno-sanitize-recover=all',
  '-Wall',
  '-Wextra',
];

function runtimeFile(name: string): string | undefined {
  try {
    const p = execFileSync('clang', [`-print-file-name=${name}`], { encoding: 'utf8' }).trim();
    return existsSync(p) ? p : undefined;
  } catch {
    return undefined;
  }
}

/** What the tier lacks (undefined: nothing): clang, its shared ASan runtime, libFuzzer. */
export function nativeToolsMissing(): string | undefined {
  if (runtimeFile('libclang_rt.asan-x86_64.so') === undefined)
    return 'clang with its ASan runtime not found (install clang and libclang-rt-14-dev)';
  if (runtimeFile('libclang_rt.fuzzer-x86_64.a') === undefined)
    return 'libFuzzer (libclang_rt.fuzzer-x86_64.a) not found (install libclang-rt-14-dev)';
  return undefined;
}

export async function clang(args: string[]): Promise<void> {
  await execAsync('clang', args, { maxBuffer: 16 << 20 });
}
