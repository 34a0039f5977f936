// Locates the repository whether tests run from TypeScript sources (tsx) or compiled under build/.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

function findRoot(start: string): string {
  let dir = start;
  for (;;) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'src'))) return dir;
    const up = dirname(dir);
    if (up === dir) throw new Error(`no repository root above ${start}`);
    dir = up;
  }
}

export const ROOT = findRoot(dirname(fileURLToPath(import.meta.url)));
/** The build under test: dist/, or the sanitizer tier's copy with ASan+UBSan native parts. */
export const DIST = process.env['TRUNKLINE_TEST_DIST'] ?? join(ROOT, 'dist');
export const DIST_CNI = join(DIST, 'cni');
/** The built `trunkline` command line. */
export const DIST_CLI = join(DIST, 'bin', 'trunkline');
export const REF_CNI = '/usr/lib/cni';
