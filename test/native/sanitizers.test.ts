// The C shim and the netlink addon built with AddressSanitizer + UndefinedBehaviorSanitizer
// (scripts/build-sanitized.mjs), and the tests that drive them — shim, netlink backend, agent —
// run again against that build: Node with the ASan runtime preloaded (its own leaks not checked),
// the shims with their options built in. Any report from either, in any process, fails the tier;
// a canary with a known heap overflow shows a report is seen.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ROOT } from '../helpers/paths.js';
import { tierSkip } from '../helpers/tier.js';
import { clang, execAsync, nativeToolsMissing, SANITIZE } from './clang.js';

// The suites that run the shim (every CNI call), the netlink addon (in-process and in the agent)
// and the agent; compiled under build/.
const SUITES = [
  'test/agent/shim.test.js',
  'test/agent/netlink-kernel.test.js',
  'test/kernel/netlink-offthread.test.js',
  'test/agent/agent.test.js',
  'test/agent/concurrency.test.js',
  'test/plugins/macvlan/master-name.test.js',
];

interface Run {
  code: number | null;
  out: string;
}

function runNode(args: string[], env: NodeJS.ProcessEnv, timeoutMs: number): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString();
    });
    child.stderr.on('data', (c: Buffer) => {
      out += c.toString();
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, out });
    });
  });
}

const reports = (dir: string): string[] =>
  readdirSync(dir).map((f) => `${f}:\n${readFileSync(join(dir, f), 'utf8').slice(0, 4000)}`);

describe('native: ASan+UBSan builds of the shim and the netlink addon', {
  skip: tierSkip('native', nativeToolsMissing()),
}, () => {
  let work: string;
  let logs: string;
  let dist: string;
  let runtime: string;
  before(async () => {
    work = mkdtempSync(join(tmpdir(), 'native-asan-'));
    logs = join(work, 'logs');
    dist = join(work, 'dist');
    mkdirSync(logs);
    const r = await execAsync(process.execPath, [join(ROOT, 'scripts', 'build-sanitized.mjs'), dist, logs], {
      cwd: ROOT,
    });
    runtime = r.stdout.trim().split('\n').at(-1)!;
  });
  after(() => rmSync(work, { recursive: true, force: true }));

  const env = (): NodeJS.ProcessEnv => {
    const e: NodeJS.ProcessEnv = {
      ...process.env,
      TRUNKLINE_TEST_DIST: dist,
      LD_PRELOAD: runtime,
      // Node's own allocations are not freed at exit: leaks are not checked in Node processes.
      ASAN_OPTIONS: `abort_on_error=1:detect_leaks=0:log_path=${logs}/asan:suppressions=${join(ROOT, 'test', 'native', 'asan.supp')}`,
      UBSAN_OPTIONS: `halt_on_error=1:abort_on_error=1:print_stacktrace=1:log_path=${logs}/ubsan`,
    };
    // A nested runner that sees this variable thinks it is a subtest and runs nothing.
    delete e['NODE_TEST_CONTEXT'];
    return e;
  };

  it('sees a finding: a canary with a heap overflow aborts and leaves a report', async () => {
    const src = join(work, 'canary.c');
    writeFileSync(
      src,
      '#include <stdlib.h>\nint main(int c, char **v) { (void)v; char *p = malloc(4); p[c + 3] = 1; free(p); return 0; }\n',
    );
    const canaryLogs = join(work, 'canary-logs');
    mkdirSync(canaryLogs);
    await clang([
      ...SANITIZE,
      '-fsanitize=address,undefined',
      `-DTRUNKLINE_SANITIZER_LOG="${canaryLogs}"`,
      '-o',
      join(work, 'canary'),
      src,
      join(ROOT, 'test', 'native', 'sanitizer-options.c'),
    ]);
    const r = await execAsync(join(work, 'canary'), [], { env: {} }).then(
      () => ({ signal: null }),
      (e: { signal?: string }) => ({ signal: e.signal }),
    );
    assert.equal(r.signal, 'SIGABRT');
    assert.match(reports(canaryLogs).join('\n'), /heap-buffer-overflow/);
  });

  it('shim, netlink and agent suites pass on the sanitized build with no report', {
    timeout: 600_000,
  }, async (t) => {
    const r = await runNode(['--test', ...SUITES.map((s) => join(ROOT, 'build', s))], env(), 570_000);
    const found = reports(logs);
    const tail = r.out.slice(-6000);
    assert.deepEqual(found, [], `sanitizer reports:\n${found.join('\n')}`);
    assert.equal(r.code, 0, tail);
    const count = (k: string) => Number(new RegExp(`^# ${k} (\\d+)$`, 'm').exec(r.out)?.[1] ?? -1);
    assert.equal(count('fail'), 0, tail);
    assert.ok(
      count('pass') >= 40,
      `expected the suites' tests to run, got ${count('pass')} passing\n${tail}`,
    );
    t.diagnostic(
      `sanitized run: ${count('pass')} passed, ${count('skipped')} skipped, 0 failed, 0 sanitizer reports`,
    );
  });
});
