// Runs `trunkline lab …` in a child process, the way a user runs it, with the test's own namespace
// prefix and state directory. Works from TypeScript (tsx) and from the compiled build/ tree.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DIST_CNI, ROOT } from '../helpers/paths.js';

const here = dirname(fileURLToPath(import.meta.url));
const fromTs = import.meta.url.endsWith('.ts');
const ENTRY = fromTs ? ['--import', 'tsx', join(here, 'cli-entry.ts')] : [join(here, 'cli-entry.js')];

export const EXAMPLES = join(ROOT, 'examples');

export interface LabEnv {
  prefix: string;
  stateDir: string;
  env: Record<string, string>;
}

/** A fresh prefix (tl-lab-<6 hex>-) and state directory for one test file. */
export function labEnv(extra: Record<string, string> = {}): LabEnv {
  const prefix = `tl-lab-${randomBytes(3).toString('hex')}-`;
  const stateDir = join(mkdtempSync(join(tmpdir(), 'tl-lab-test-')), 'state');
  return {
    prefix,
    stateDir,
    env: {
      TRUNKLINE_LAB_PREFIX: prefix,
      TRUNKLINE_LAB_STATE: stateDir,
      TRUNKLINE_LAB_PLUGIN_DIR: DIST_CNI,
      ...extra,
    },
  };
}

/** Why the lab cannot run here (plugins not built), or undefined. */
export function labSkipReason(): string | undefined {
  for (const f of ['trunkline', 'trunkline-macvlan', 'trunkline-ipam', 'trunkline-coordinator'])
    if (!existsSync(join(DIST_CNI, f))) return `${join(DIST_CNI, f)} is not built (node scripts/build.mjs)`;
  if (!existsSync('/usr/lib/cni/ptp')) return 'reference plugins missing (containernetworking-plugins)';
  return undefined;
}

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

export function runLab(args: string[], le: LabEnv, opts: { timeoutMs?: number } = {}): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...ENTRY, 'lab', ...args], {
      cwd: ROOT,
      env: { ...process.env, ...le.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 180_000);
    child.stdout.on('data', (b: Buffer) => {
      stdout += b.toString('utf8');
    });
    child.stderr.on('data', (b: Buffer) => {
      stderr += b.toString('utf8');
    });
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? 1, stdout, stderr });
    });
  });
}
