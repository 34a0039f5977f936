// A private containerd 1.6 (Debian's) with its CRI plugin, for tests: own root, state, socket and
// config; CNI bin_dir/conf_dir in a temporary directory; a locally built pause image (no registry).
// It runs in the network namespace the test gives it (the plugins run there, so the macvlan master is
// a veth of that namespace) and in a private mount namespace where /run and /var/lib/cni are the
// test's own directories: containerd 1.6 writes shim sockets to /run/containerd/s and libcni's cache
// to /var/lib/cni/results whatever its config says. Netns files live under its state dir and are
// visible only inside that mount namespace: enter with `inside()`.
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
import { CriClient } from './client.js';
import { buildPauseImage } from './pause-image.js';

export const PAUSE_IMAGE = 'localhost/trunkline-pause:1';

export interface PrivateContainerd {
  dir: string;
  socket: string;
  cniBin: string;
  cniConf: string;
  /** The cgroup parent every sandbox of this run uses (removed on stop). */
  cgroupParent: string;
  cri: CriClient;
  /** PID of containerd (its mount and network namespaces are the sandboxes' world). */
  pid(): number;
  /** Runs argv inside containerd's mount and network namespaces. */
  inside(argv: string[]): { code: number; out: string };
  /** Stop + Remove every sandbox, then containerd, then anything left naming its socket. */
  stop(): Promise<void>;
}

function config(dir: string): string {
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
    [plugins."io.containerd.grpc.v1.cri".cni]
      bin_dir = "${dir}/cni/bin"
      conf_dir = "${dir}/cni/conf"
      max_conf_num = 1
    [plugins."io.containerd.grpc.v1.cri".containerd]
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

function removeCgroups(parent: string): void {
  for (const c of readdirSync('/sys/fs/cgroup')) {
    const base = join('/sys/fs/cgroup', c, parent);
    if (!existsSync(base)) continue;
    // Depth first: runc removes only the leaf it made.
    spawnSync('find', [base, '-depth', '-type', 'd', '-exec', 'rmdir', '{}', ';']);
  }
}

export interface ContainerdOptions {
  /** Network namespace path containerd (and so every CNI plugin) runs in. */
  netns: string;
  /** Extra environment for containerd, inherited by the CNI plugins it runs. */
  env?: Record<string, string>;
  /** Fills bin_dir and conf_dir before containerd starts (it loads the CNI config at start-up). */
  prepare?: (cniBin: string, cniConf: string) => void;
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
  for (const d of ['root', 'state', 'run', 'cni-cache', 'cni/bin', 'cni/conf', 'runc-root', 'opt', 'img']) {
    mkdirSync(join(dir, d), { recursive: true });
  }
  writeFileSync(join(dir, 'config.toml'), config(dir));
  opts.prepare?.(join(dir, 'cni', 'bin'), join(dir, 'cni', 'conf'));
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
      removeCgroups(cgroupParent);
      rmSync(dir, { recursive: true, force: true });
    }
  };
  try {
    const script =
      'mount --bind "$1/run" /run && mount --bind "$1/cni-cache" /var/lib/cni && exec containerd --config "$1/config.toml"';
    mkdirSync('/var/lib/cni', { recursive: true });
    child = spawn(
      'nsenter',
      [
        `--net=${opts.netns}`,
        'unshare',
        '--mount',
        '--propagation',
        'private',
        'sh',
        '-c',
        script,
        'sh',
        dir,
      ],
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
  const pid = () => child!.pid!;
  return {
    dir,
    socket,
    cniBin: join(dir, 'cni', 'bin'),
    cniConf: join(dir, 'cni', 'conf'),
    cgroupParent,
    cri,
    pid,
    inside(argv) {
      // The child is nsenter → unshare → sh → exec containerd: one PID throughout.
      const r = spawnSync('nsenter', ['-t', String(pid()), '-m', '-n', '--', ...argv], { encoding: 'utf8' });
      return { code: r.status ?? 1, out: `${r.stdout}${r.stderr}` };
    },
    stop,
  };
}
