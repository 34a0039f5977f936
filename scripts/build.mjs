// Builds dist/:
//   dist/plugins/<type>.js  each CNI plugin (src/bin/<type>.ts) bundled into one CommonJS file;
//   dist/plugins/<type>.blob  a V8 start-up snapshot of that bundle, built by this very node (the
//                           shim's no-agent path starts from it: src/cni/snapshot.ts);
//   dist/cni/<type>         the thin C shim (src/shim/shim.c), one copy per type: it forwards the call to
//                           the node agent and, with no agent running, execs dist/plugins/<type>.js;
//   dist/bin/trunkline      the operator's command line (`trunkline`), outside the CNI bin dir, where the
//                           file called `trunkline` is the meta plugin;
//   dist/agent/agent.js     the node agent (`trunkline agent`) on its own;
//   dist/lib/               native addons and the Kubernetes client, located at runtime relative to the bundles.
// CommonJS because the files are copied to /opt/cni/bin, where no package.json says "module". Without
// a C compiler dist/cni/<type> becomes a small Node launcher of the bundle (correct, just slower).
import { execFile, execFileSync } from 'node:child_process';
import {
  chmodSync,
  copyFileSync,
  existsSync,
  linkSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { addonSources, nodeInclude, shimDefines, shimSources } from './native.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const { version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const binDir = join(root, 'src', 'bin');
const dist = join(root, 'dist');
const out = join(dist, 'cni');
const plugins = join(dist, 'plugins');
const lib = join(dist, 'lib');
for (const d of [out, plugins, lib, join(dist, 'bin'), join(dist, 'shim'), join(dist, 'agent')])
  mkdirSync(d, { recursive: true });
// dist/ lives inside a "type": "module" package; the bundles are CommonJS.
writeFileSync(join(dist, 'package.json'), '{"type":"commonjs"}\n');

// Executables under src/bin that are not CNI plugins: no shim, bundled into dist/bin under their
// command name.
const TOOLS = new Map([['trunkline-cli', 'trunkline']]);
// Builds before the CLI moved left it in dist/cni, where install would copy it as a plugin.
rmSync(join(out, 'trunkline-cli'), { force: true });

const bundle = (opts) =>
  build({
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    minify: false,
    sourcemap: false,
    legalComments: 'none',
    define: { TRUNKLINE_VERSION: JSON.stringify(version) },
    banner: { js: '#!/usr/bin/env node' },
    // Native addons cannot be bundled: they are copied to dist/lib and loaded from there.
    external: [],
    logLevel: 'warning',
    ...opts,
  });

/** Replaces `dest` by rename so a running copy never sees a half-written file ("text file busy"). */
function install(src, dest, { link = false } = {}) {
  const tmp = `${dest}.tmp-${process.pid}`;
  rmSync(tmp, { force: true });
  if (link) {
    try {
      linkSync(src, tmp);
    } catch {
      copyFileSync(src, tmp);
    }
  } else copyFileSync(src, tmp);
  chmodSync(tmp, 0o755);
  renameSync(tmp, dest);
}

const entries = readdirSync(binDir)
  .filter((f) => f.endsWith('.ts'))
  .map((f) => basename(f, '.ts'));
const types = entries.filter((n) => !TOOLS.has(n));

await Promise.all([
  ...entries.map(async (name) => {
    const tool = TOOLS.get(name);
    const outfile = tool ? join(dist, 'bin', tool) : join(plugins, `${name}.js`);
    await bundle({ entryPoints: [join(binDir, `${name}.ts`)], outfile });
    chmodSync(outfile, 0o755);
  }),
  (async () => {
    // One level below dist/ like the plugins, so `../lib` finds the native addons from here too.
    const outfile = join(dist, 'agent', 'agent.js');
    await bundle({
      stdin: {
        contents:
          "import { agentCommand } from './src/cli/agent.ts';\n" +
          'agentCommand(process.argv.slice(2)).then((c) => process.exit(c), (e) => {\n' +
          "  process.stderr.write('trunkline agent: ' + (e?.stack ?? e) + '\\n');\n" +
          '  process.exit(1);\n' +
          '});\n',
        resolveDir: root,
        sourcefile: 'agent-entry.ts',
        loader: 'ts',
      },
      outfile,
    });
    chmodSync(outfile, 0o755);
  })(),
]);

// The Kubernetes client on its own: src/cluster/kubernetes/client.ts loads dist/lib/kubernetes-client.js
// on the first API call, so plugins copied out of the repository (a node's /opt/cni) still find it.
await bundle({
  stdin: { contents: "export * from '@kubernetes/client-node';\n", resolveDir: root, loader: 'js' },
  outfile: join(lib, 'kubernetes-client.js'),
  banner: {},
});

function compile(args) {
  try {
    execFileSync('cc', args, { stdio: ['ignore', 'inherit', 'inherit'] });
    return true;
  } catch (e) {
    console.warn(`build: cc ${args.join(' ')} failed (${e.message.split('\n')[0]})`);
    return false;
  }
}

// The shim: one binary, one hard link (or copy) per plugin type; argv[0] names the type.
const shim = join(dist, 'shim', 'trunkline-shim');
const haveShim = compile(['-O2', '-Wall', '-Wextra', ...shimDefines(types), '-o', shim, ...shimSources]);
for (const type of types) {
  const dest = join(out, type);
  if (haveShim) install(shim, dest, { link: true });
  else {
    const tmp = join(dist, 'shim', `${type}.launcher`);
    writeFileSync(tmp, `#!/usr/bin/env node\nrequire('../plugins/${type}.js');\n`);
    install(tmp, dest);
  }
}

// Start-up snapshots: each plugin bundle evaluated once under --build-snapshot by this node (the one
// the shim falls back to), then checked by answering VERSION from the blob as the shim would start it.
// A blob that does not build or does not answer is removed: the shim then runs the plain bundle.
const run = (args, env) =>
  new Promise((resolve) => {
    const child = execFile(
      process.execPath,
      args,
      { env: { ...process.env, ...env } },
      (err, stdout, stderr) => resolve({ ok: !err, stdout, stderr: String(stderr || err?.message || '') }),
    );
    child.stdin.end(); // a plugin reads stdin to its end, VERSION too
  });
const blobs = await Promise.all(
  types.map(async (type) => {
    const script = join(plugins, `${type}.js`);
    const blob = join(plugins, `${type}.blob`);
    const tmp = `${blob}.tmp-${process.pid}`;
    const built = await run(['--snapshot-blob', tmp, '--build-snapshot', script]);
    const answer = built.ok ? await run(['--snapshot-blob', tmp, script], { CNI_COMMAND: 'VERSION' }) : built;
    if (answer.ok && answer.stdout.includes('"supportedVersions"')) {
      renameSync(tmp, blob);
      return true;
    }
    rmSync(tmp, { force: true });
    rmSync(blob, { force: true });
    console.warn(
      `build: no start-up snapshot for ${type}: ${answer.stderr.trim().split('\n').slice(-3).join(' ')}`,
    );
    return false;
  }),
);
const haveBlobs = blobs.filter(Boolean).length;

// The netlink backend's addon (Node-API, so independent of the exact Node version). Without Node's
// headers the agent uses the iproute2 backend.
const nodeIncludeDir = nodeInclude();
let haveNetlink = false;
if (nodeIncludeDir) {
  const tmp = join(lib, `trunkline_netlink.node.tmp-${process.pid}`);
  haveNetlink = compile([
    '-O2',
    '-Wall',
    '-Wextra',
    '-shared',
    '-fPIC',
    `-I${nodeIncludeDir}`,
    '-o',
    tmp,
    ...addonSources,
  ]);
  if (haveNetlink) renameSync(tmp, join(lib, 'trunkline_netlink.node'));
} else console.warn('build: no node_api.h found; the agent will use the iproute2 kernel backend');

// The sqlite native binding, located by the store at runtime relative to the bundle.
const binding = join(root, 'node_modules', 'better-sqlite3', 'build', 'Release', 'better_sqlite3.node');
if (existsSync(binding)) copyFileSync(binding, join(lib, 'better_sqlite3.node'));
// The Kubernetes client, bundled on its own: plugins load it from <bundle>/../lib/ only on the first
// API call (src/cluster/kubernetes/client.ts), so an install outside the repository needs no node_modules.
await bundle({
  stdin: { contents: "module.exports = require('@kubernetes/client-node');", resolveDir: root },
  outfile: join(lib, 'kubernetes-client.js'),
  banner: {},
});
console.log(
  `built ${types.length} plugins (dist/plugins/, ${haveBlobs} start-up snapshots, ${haveShim ? 'C shims' : 'Node launchers'} in dist/cni/), ` +
    `${entries.length - types.length} tools, dist/agent/agent.js${haveNetlink ? ', netlink addon' : ''}`,
);
