// The Containerfile builds with podman (target `prebuilt`, --network=none) on a base made here, and
// `trunkline install`, run in that image with the DaemonSet's own arguments and mounts, fills a
// temporary host dir; `trunkline uninstall` in the image takes exactly that back off. podman runs
// with private storage (its own root and run dirs, overlay driver) and config, so nothing lands in the machine's image store.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ROOT } from '../helpers/paths.js';
import { baseKey, ensureBaseTar } from './image-base.js';
import { DEPLOY, find, kustomize } from './render.js';
import { snapshot } from './tree.js';

let dir: string;
const BASE = `localhost/trunkline-test-base:${baseKey()}`;
const IMAGE = 'localhost/trunkline:test';
// overlay on the test's own directory: vfs copies the whole base for every layer (minutes).
const STORAGE_DRIVER = 'overlay';

function podman(args: string[], timeout = 600_000): string {
  const r = spawnSync(
    'podman',
    [
      '--root',
      join(dir, 'storage'),
      '--runroot',
      join(dir, 'run'),
      '--storage-driver',
      STORAGE_DRIVER,
      '--cgroup-manager',
      'cgroupfs',
      '--events-backend',
      'file',
      ...args,
    ],
    {
      env: { ...process.env, CONTAINERS_CONF: join(dir, 'containers.conf'), TMPDIR: join(dir, 'tmp') },
      encoding: 'utf8',
      timeout,
    },
  );
  assert.equal(r.status, 0, `podman ${args.join(' ')}: ${r.error?.message ?? ''}\n${r.stdout}\n${r.stderr}`);
  return `${r.stdout}${r.stderr}`;
}

before(() => {
  for (const tool of ['podman', 'runc', 'debootstrap'])
    assert.equal(
      spawnSync(tool, ['--version']).error,
      undefined,
      `${tool} is required (scripts/setup.sh installs it)`,
    );
  assert.ok(existsSync(join(ROOT, 'dist', 'bin', 'trunkline')), 'run the build first (npm run build)');
  dir = mkdtempSync(join(tmpdir(), 'tl-image-'));
  mkdirSync(join(dir, 'tmp'));
  writeFileSync(
    join(dir, 'containers.conf'),
    '[engine]\nruntime = "runc"\n[network]\nnetwork_backend = "cni"\n',
  );
});

after(() => {
  if (!dir) return;
  spawnSync(
    'podman',
    [
      '--root',
      join(dir, 'storage'),
      '--runroot',
      join(dir, 'run'),
      '--storage-driver',
      STORAGE_DRIVER,
      'rmi',
      '-a',
      '-f',
    ],
    {
      env: { ...process.env, CONTAINERS_CONF: join(dir, 'containers.conf') },
    },
  );
  rmSync(dir, { recursive: true, force: true });
});

describe('container image', () => {
  it('builds from the local base and `trunkline install` fills a mounted host dir', () => {
    podman(['import', ensureBaseTar(), BASE]);
    podman([
      'build',
      '--network=none',
      '--target',
      'prebuilt',
      '--build-arg',
      `BASE=${BASE}`,
      '-t',
      IMAGE,
      '-f',
      join(ROOT, 'Containerfile'),
      ROOT,
    ]);

    const host = join(dir, 'host');
    for (const d of ['opt/cni/bin', 'etc/cni/net.d', 'var/lib/trunkline'])
      mkdirSync(join(host, d), { recursive: true });
    writeFileSync(
      join(host, 'etc/cni/net.d/10-kindnet.conflist'),
      JSON.stringify({ cniVersion: '0.3.1', name: 'kindnet', plugins: [{ type: 'ptp' }] }),
    );
    const before = snapshot(host);

    // The init container exactly as deploy/ declares it: command, args and mounts.
    const ds = find(kustomize(DEPLOY), 'DaemonSet', 'trunkline-node') as unknown as {
      spec: {
        template: {
          spec: {
            initContainers: {
              command: string[];
              args: string[];
              volumeMounts: { name: string; mountPath: string }[];
            }[];
            volumes: { name: string; hostPath?: { path: string } }[];
          };
        };
      };
    };
    const pod = ds.spec.template.spec;
    const init = pod.initContainers[0]!;
    const mounts = init.volumeMounts.flatMap((m) => {
      const hostPath = pod.volumes.find((v) => v.name === m.name)?.hostPath?.path;
      assert.ok(hostPath, `volume ${m.name} is a hostPath`);
      return ['-v', `${join(host, hostPath)}:${m.mountPath}`];
    });
    const run = (cmd: string[]) =>
      podman([
        'run',
        '--rm',
        '--network=none',
        '--ulimit',
        'nofile=1024:1024',
        '--ulimit',
        'nproc=1024:1024',
        ...mounts,
        IMAGE,
        ...cmd,
      ]);
    run([...init.command, ...init.args, '--wait-seconds=0']);

    for (const t of ['trunkline', 'trunkline-macvlan', 'trunkline-ipam', 'trunkline-coordinator']) {
      assert.deepEqual(
        readFileSync(join(host, 'opt/cni/bin', t)),
        readFileSync(join(ROOT, 'dist/cni', t)),
        t,
      );
      assert.deepEqual(
        readFileSync(join(host, 'opt/cni/plugins', `${t}.js`)),
        readFileSync(join(ROOT, 'dist/plugins', `${t}.js`)),
      );
    }
    assert.ok(existsSync(join(host, 'opt/cni/agent/agent.js')));
    const conf = JSON.parse(readFileSync(join(host, 'etc/cni/net.d/00-trunkline.conflist'), 'utf8'));
    assert.equal(conf.plugins[0].clusterNetwork, '/etc/cni/net.d/10-kindnet.conflist');
    assert.equal(conf.plugins[0].binDir, '/opt/cni/bin');
    assert.ok(existsSync(join(host, 'var/lib/trunkline/install-manifest.json')));

    run(['trunkline', 'uninstall', '--state-dir=/var/lib/trunkline']);
    assert.deepEqual(snapshot(host), before);
  });
});
