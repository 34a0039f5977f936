// Bundles each CNI executable (src/bin/<type>.ts) into one self-contained CommonJS file at
// dist/cni/<type> with a node shebang and the run bit. CommonJS because the files are copied to
// /opt/cni/bin, where no package.json says "module".
import { chmodSync, copyFileSync, mkdirSync, readdirSync, writeFileSync, existsSync } from 'node:fs';
import { dirname, join, basename } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const binDir = join(root, 'src', 'bin');
const out = join(root, 'dist', 'cni');
const lib = join(root, 'dist', 'lib');
mkdirSync(out, { recursive: true });
mkdirSync(lib, { recursive: true });
// dist/ lives inside a "type": "module" package; the bundles are CommonJS.
writeFileSync(join(root, 'dist', 'package.json'), '{"type":"commonjs"}\n');

const entries = readdirSync(binDir).filter((f) => f.endsWith('.ts'));
await Promise.all(
  entries.map(async (f) => {
    const name = basename(f, '.ts');
    const outfile = join(out, name);
    await build({
      entryPoints: [join(binDir, f)],
      outfile,
      bundle: true,
      platform: 'node',
      target: 'node20',
      format: 'cjs',
      minify: false,
      sourcemap: false,
      legalComments: 'none',
      banner: { js: '#!/usr/bin/env node' },
      // Native addons cannot be bundled: the sqlite binding is copied to dist/lib and passed to
      // better-sqlite3 as `nativeBinding`. Heavy libraries must be loaded lazily (see dist/lib).
      external: [],
      logLevel: 'warning',
    });
    chmodSync(outfile, 0o755);
  }),
);

// The sqlite native binding, located by the store at runtime relative to the bundle.
const binding = join(root, 'node_modules', 'better-sqlite3', 'build', 'Release', 'better_sqlite3.node');
if (existsSync(binding)) copyFileSync(binding, join(lib, 'better_sqlite3.node'));
console.log(`built ${entries.length} executables into dist/cni/`);
