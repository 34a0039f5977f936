// Where the better-sqlite3 native addon lives. Bundled executables run from dist/cni/ with no
// node_modules beside them, so scripts/build.mjs copies the addon to dist/lib/. In the CJS bundle
// __dirname is dist/cni; under ESM (tests, tsx) it is not defined and better-sqlite3 resolves its
// addon from node_modules on its own. import.meta is deliberately not used: esbuild empties it in
// CJS output and warns at build time.
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

const ADDON = 'better_sqlite3.node';

function bundleDir(): string | undefined {
  try {
    return typeof __dirname === 'string' ? __dirname : undefined;
  } catch {
    return undefined;
  }
}

/** The addon path to pass as `nativeBinding`, or undefined to let better-sqlite3 find its own. */
export function sqliteNativeBinding(
  env: Record<string, string | undefined> = process.env,
): string | undefined {
  const explicit = env['TRUNKLINE_SQLITE_BINDING'];
  if (explicit) return explicit;
  const candidates: string[] = [];
  // The executable itself (dist/cni/<type>) also tells where dist/lib is, e.g. when loaded by the agent.
  const script = process.argv[1];
  if (script) candidates.push(join(dirname(resolve(script)), '..', 'lib', ADDON));
  // After the script: a bundle started from a start-up snapshot keeps the build's __dirname.
  const here = bundleDir();
  if (here !== undefined) candidates.push(join(here, '..', 'lib', ADDON));
  return candidates.find((p) => existsSync(p));
}
