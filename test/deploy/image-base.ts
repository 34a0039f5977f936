// The image test's base: Debian bookworm (debootstrap --variant=minbase, iproute2 included) from
// Debian's mirror plus this machine's Node binary, as a tar for `podman import`. No image registry is
// reachable here, so this stands in for the public Node 20 image. Cached under .cache/ keyed by its
// inputs, so a CI run builds it once.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { ROOT } from '../helpers/paths.js';

const MIRROR = 'http://deb.debian.org/debian';
const DEBOOTSTRAP = ['--variant=minbase', '--include=iproute2', 'bookworm'];

export function baseKey(): string {
  return createHash('sha256')
    .update(JSON.stringify({ recipe: 1, DEBOOTSTRAP, MIRROR }))
    .update(readFileSync(process.execPath))
    .digest('hex')
    .slice(0, 16);
}

/** Path of the base rootfs tar, built now if the cache does not have it. */
export function ensureBaseTar(): string {
  const tar = join(ROOT, '.cache', 'image-base', `bookworm-node-${baseKey()}.tar`);
  if (existsSync(tar)) return tar;
  mkdirSync(dirname(tar), { recursive: true });
  const work = mkdtempSync(join(dirname(tar), 'build-'));
  try {
    const rootfs = join(work, 'rootfs');
    execFileSync('debootstrap', [...DEBOOTSTRAP, rootfs, MIRROR], {
      stdio: ['ignore', 'ignore', 'pipe'],
      timeout: 900_000,
    });
    // The shim was compiled with this path for its no-agent fallback; PATH finds /usr/local/bin.
    for (const dest of new Set([process.execPath, '/usr/local/bin/node'])) {
      mkdirSync(join(rootfs, dirname(dest)), { recursive: true });
      copyFileSync(process.execPath, join(rootfs, dest));
    }
    rmSync(join(rootfs, 'var/cache/apt/archives'), { recursive: true, force: true });
    const tmp = join(work, 'base.tar');
    execFileSync('tar', ['-C', rootfs, '--numeric-owner', '-cf', tmp, '.']);
    renameSync(tmp, tar);
    return tar;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
