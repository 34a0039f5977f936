// The sandbox ("pause") image without a registry: a static C binary that sleeps until signalled,
// packed by hand as an OCI image-layout tarball that `ctr images import` accepts.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const PAUSE_C = `#include <signal.h>
#include <unistd.h>
#include <sys/wait.h>
static void die(int s) { (void)s; _exit(0); }
static void reap(int s) { (void)s; while (waitpid(-1, 0, WNOHANG) > 0) {} }
int main(void) {
  signal(SIGINT, die); signal(SIGTERM, die); signal(SIGCHLD, reap);
  for (;;) pause();
}
`;

/** Builds `<dir>/pause-oci.tar` holding image `name`; returns its path. */
export function buildPauseImage(dir: string, name: string): string {
  const oci = join(dir, 'oci');
  const blobs = join(oci, 'blobs', 'sha256');
  mkdirSync(join(dir, 'rootfs'), { recursive: true });
  mkdirSync(blobs, { recursive: true });
  writeFileSync(join(dir, 'pause.c'), PAUSE_C);
  execFileSync('cc', ['-static', '-Os', '-o', join(dir, 'rootfs', 'pause'), join(dir, 'pause.c')]);
  execFileSync('tar', [
    '--numeric-owner',
    '--owner=0',
    '--group=0',
    '--mtime=@0',
    '-C',
    join(dir, 'rootfs'),
    '-cf',
    join(dir, 'layer.tar'),
    'pause',
  ]);
  const blob = (data: Buffer) => {
    const digest = createHash('sha256').update(data).digest('hex');
    writeFileSync(join(blobs, digest), data);
    return { digest: `sha256:${digest}`, size: data.length };
  };
  const layer = blob(readFileSync(join(dir, 'layer.tar')));
  const config = blob(
    Buffer.from(
      JSON.stringify({
        architecture: 'amd64',
        os: 'linux',
        config: { Entrypoint: ['/pause'], WorkingDir: '/' },
        rootfs: { type: 'layers', diff_ids: [layer.digest] },
      }),
    ),
  );
  const manifest = blob(
    Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...config },
        layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', ...layer }],
      }),
    ),
  );
  writeFileSync(join(oci, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}');
  // The platform is needed (import filters by it); the annotation gives ctr the full image name.
  writeFileSync(
    join(oci, 'index.json'),
    JSON.stringify({
      schemaVersion: 2,
      manifests: [
        {
          mediaType: 'application/vnd.oci.image.manifest.v1+json',
          ...manifest,
          platform: { architecture: 'amd64', os: 'linux' },
          annotations: {
            'io.containerd.image.name': name,
            'org.opencontainers.image.ref.name': name.slice(name.lastIndexOf(':') + 1),
          },
        },
      ],
    }),
  );
  const out = join(dir, 'pause-oci.tar');
  execFileSync('tar', [
    '--numeric-owner',
    '--owner=0',
    '--group=0',
    '-C',
    oci,
    '-cf',
    out,
    'oci-layout',
    'index.json',
    'blobs',
  ]);
  return out;
}
