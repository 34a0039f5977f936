// A private containerd 1.6 (Debian's) with its CRI plugin, for tests: own root, state, socket and
// config; a locally built pause image (no registry). It runs inside a private root
// (helpers/private-root.ts): the network namespace the test gives it (the plugins run there, so the
// macvlan master is a veth of that namespace) and a mount namespace where /etc, /opt, /var/lib are
// overlays and /run a tmpfs, so its CRI plugin uses its defaults bin_dir /opt/cni/bin and conf_dir
// /etc/cni/net.d exactly as the README tells users, and containerd 1.6's hard-coded writes
// (/run/containerd/s, libcni's /var/lib/cni/results) stay private. Netns files live under its state
// dir and are visible only inside: enter with `root.sh`.
import { type ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { PrivateRoot } from '../private-root.js';
import { CriClient } from './client.js';
import { buildPauseImage } from './pause-image.js';

export const PAUSE_IMAGE = 'localhost/trunkline-pause:1';

export interface PrivateContainerd {
  dir: string;
  socket: string;
  /** The cgroup parent every sandbox of this run uses (removed on stop). */
  cgroupParent: string;
  cri: CriClient;
  /** Stop + Remove every sandbox, then containerd, then anything left naming its socket. */
  stop(): Promise<void>;
}

function config(dir: string, confDir: string | undefined): string {
  return `version = 2
root = "${dir}/root"
state = "${dir}/state"
disabled_plugins = ["io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.devmapper", "io.containerd.snapshotter.v1.zfs"]
[grpc]
  address = "${dir}/containerd.sock"
[plugins]
  [plugins."io.containerd.internal.v1.opt"]
    path = "${dir}/opt"
  [plugins."io.containerd.grpc.v1.cri"]
    sandbox_image = "${PAUSE_IMAGE}"
    disable_apparmor = true
    # This VM drops CAP_SYS_RESOURCE: the sandbox's oom_score_adj -998 cannot be set.
    restrict_oom_score_adj = true
    netns_mounts_under_state_dir = true
    disable_tcp_service = true
    stream_server_address = "127.0.0.1"
    stream_server_port = "0"
${confDir !== undefined ? `    [plugins."io.containerd.grpc.v1.cri".cni]\n      conf_dir = "${confDir}"\n` : ''}    [plugins."io.containerd.grpc.v1.cri".containerd]
      snapshotter = "overlayfs"
      default_runtime_name = "runc"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
        runtime_type = "io.containerd.runc.v2"
        [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
          BinaryName = "/usr/sbin/runc"
          Root = "${dir}/runc-root"
          SystemdCgroup = false
`;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function killNamingSocket(socket: string): void {
  for (const p of readdirSync('/proc')) {
    if (!/^\d+$/.test(p)) continue;
    try {
      if (readFileSync(`/proc/${p}/cmdline`, 'utf8').includes(socket)) process.kill(Number(p), 'SIGKILL');
    } catch {}
  }
}

/** Kills whatever still runs under the cgroup parent (a pause process whose shim died), then rmdirs it. */
async function removeCgroups(parent: string): Promise<void> {
  const bases = readdirSync('/sys/fs/cgroup')
    .map((c) => join('/sys/fs/cgroup', c, parent))
    .filter((b) => existsSync(b));
  for (const base of bases) {
    const procs = spawnSync('sh', ['-c', 'cat $(find "$1" -name cgroup.procs) 2>/dev/null', 'sh', base], {
      encoding: 'utf8',
    });
    for (const pid of procs.stdout.split('\n').filter((p) => /^\d+$/.test(p))) {
      try {
        process.kill(Number(pid), 'SIGKILL');
      } catch {}
    }
  }
  await sleep(100);
  // Depth first: runc removes only the leaf it made.
  for (const base of bases) spawnSync('find', [base, '-depth', '-type', 'd', '-exec', 'rmdir', '{}', ';']);
}

export interface ContainerdOptions {
  /** Where containerd (and so every CNI plugin) runs; its CNI install must be in place. */
  root: PrivateRoot;
  /** Extra environment for containerd, inherited by the CNI plugins it runs. */
  env?: Record<string, string>;
  /** CNI conf_dir other than the default /etc/cni/net.d (benchmarks run several containerds). */
  confDir?: string;
}

export async function startContainerd(opts: ContainerdOptions): Promise<PrivateContainerd> {
  for (const tool of ['containerd', 'ctr', 'runc', 'cc']) {
    if (spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0) {
      throw new Error(`${tool} is not installed (scripts/setup.sh installs containerd and runc)`);
    }
  }
  const dir = mkdtempSync(join(tmpdir(), 'tlcri-'));
  const socket = join(dir, 'containerd.sock');
  const cgroupParent = `/tlcri-${randomBytes(3).toString('hex')}`;
  for (const d of ['root', 'state', 'runc-root', 'opt', 'img']) {
    mkdirSync(join(dir, d), { recursive: true });
  }
  writeFileSync(join(dir, 'config.toml'), config(dir, opts.confDir));
  let child: ChildProcess | undefined;
  const cri = new CriClient(socket);
  const stop = async () => {
    try {
      if (child?.exitCode === null) {
        for (const s of await cri.list().catch(() => [])) {
          await cri.stop(s.id).catch(() => {});
          await cri.remove(s.id).catch(() => {});
        }
        child.kill('SIGTERM');
        for (let i = 0; i < 100 && child.exitCode === null; i++) await sleep(100);
        if (child.exitCode === null) child.kill('SIGKILL');
      }
    } finally {
      cri.close();
      // Shims outlive containerd (reparented to PID 1).
      killNamingSocket(socket);
      await sleep(200);
      await removeCgroups(cgroupParent);
      rmSync(dir, { recursive: true, force: true });
    }
  };
  try {
    child = spawn(
      'nsenter',
      ['-t', String(opts.root.pid), '-m', '-n', '--', 'containerd', '--config', join(dir, 'config.toml')],
      { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, ...opts.env }, detached: true },
    );
    let log = '';
    child.stderr?.on('data', (c: Buffer) => {
      log = (log + c.toString()).slice(-20_000);
    });
    for (let i = 0; i < 200 && !existsSync(socket); i++) {
      if (child.exitCode !== null) break;
      await sleep(50);
    }
    if (!existsSync(socket)) throw new Error(`containerd did not start: ${log}`);
    const tar = buildPauseImage(join(dir, 'img'), PAUSE_IMAGE);
    execFileSync('ctr', ['--address', socket, '-n', 'k8s.io', 'images', 'import', tar], { stdio: 'pipe' });
    // CRI must have indexed the image (a sha256:<config> ref) or RunPodSandbox tries to pull it.
    for (let i = 0; ; i++) {
      const refs = execFileSync('ctr', ['--address', socket, '-n', 'k8s.io', 'images', 'ls', '-q'], {
        encoding: 'utf8',
      });
      if (/^sha256:/m.test(refs)) break;
      if (i > 100) throw new Error(`containerd never indexed the pause image: ${refs}`);
      await sleep(50);
    }
  } catch (e) {
    await stop();
    throw e;
  }
  return {
    dir,
    socket,
    cgroupParent,
    cri,
    stop,
  };
}
