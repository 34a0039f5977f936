// node scripts/build-sanitized.mjs OUTDIR LOGDIR
// A copy of dist/ (build it first) whose native parts — the C shim and the netlink addon — are
// rebuilt by clang with AddressSanitizer and UndefinedBehaviorSanitizer, for the sanitizer test tier
// (test/native/sanitizers.test.ts). Both link the shared ASan runtime: the addon is loaded into a
// Node started with that runtime in LD_PRELOAD, and the shim inherits LD_PRELOAD from its caller, so
// one runtime must serve both. The shim writes its sanitizer reports under LOGDIR whatever its
// environment (test/native/sanitizer-options.c). Prints the runtime's path (for LD_PRELOAD) on stdout.
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, readdirSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { addonSources, nodeInclude, shimDefines, shimSources } from './native.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const [out, logDir] = process.argv.slice(2, 4).map((a) => resolve(a));
if (!out || !logDir) throw new Error('usage: node scripts/build-sanitized.mjs OUTDIR LOGDIR');
const dist = join(root, 'dist');
if (!existsSync(join(dist, 'agent', 'agent.js')))
  throw new Error('dist/ is not built: node scripts/build.mjs');

const runtime = execFileSync('clang', ['-print-file-name=libclang_rt.asan-x86_64.so'], {
  encoding: 'utf8',
}).trim();
if (!existsSync(runtime))
  throw new Error(`clang has no shared ASan runtime (${runtime}): install libclang-rt-14-dev`);
const flags = [
  '-g',
  '-O1',
  '-fno-omit-frame-pointer',
  '-fsanitize=address,undefined',
  // A finding aborts the process: a report that lets the program run on is a test that cannot fail.
  '-fno-sanitize-recover=all',
  '-shared-libasan',
  `-Wl,-rpath,${dirname(runtime)}`,
  '-Wall',
  '-Wextra',
];
const clang = (args) =>
  execFileSync('clang', [...flags, ...args], { stdio: ['ignore', 'inherit', 'inherit'] });

rmSync(out, { recursive: true, force: true });
cpSync(dist, out, { recursive: true });
const types = readdirSync(join(out, 'cni'));
const shim = join(out, 'shim', 'trunkline-shim');
const options = join(root, 'test', 'native', 'sanitizer-options.c');
clang([
  ...shimDefines(types),
  `-DTRUNKLINE_SANITIZER_LOG=${JSON.stringify(logDir)}`,
  '-o',
  shim,
  ...shimSources,
  options,
]);
for (const t of types) cpSync(shim, join(out, 'cni', t));
const include = nodeInclude();
if (!include) throw new Error('no node_api.h: the netlink addon cannot be built');
clang([
  '-shared',
  '-fPIC',
  `-I${include}`,
  '-o',
  join(out, 'lib', 'trunkline_netlink.node'),
  ...addonSources,
]);
console.log(runtime);
