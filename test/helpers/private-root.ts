// A private view of the machine for running a README recipe exactly as written: a mount namespace in
// which /etc, /opt and /var/lib are overlays whose upper layers are a temporary directory and /run is
// a tmpfs, so the default paths (/etc/cni/net.d, /opt/cni/bin, /etc/trunkline, /var/lib/trunkline,
// /run/trunkline, /var/lib/cni) are the test's own and the host's stay untouched. A holder process
// keeps the namespace (and the netns mounts runtimes make in it) alive; it joins the given network
// namespace too. /etc/cni/net.d starts empty.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './paths.js';

const MOUNTS = `set -e
mount -t tmpfs tmpfs /run
for d in etc opt var/lib; do
  mkdir -p "$1/up/$d" "$1/work/$d"
  mount -t overlay overlay -o "lowerdir=/$d,upperdir=$1/up/$d,workdir=$1/work/$d" "/$d"
done
rm -f /etc/cni/net.d/*
echo ready
exec sleep infinity
`;

export interface PrivateRoot {
  pid: number;
  /** Runs a shell line inside (mount + network namespace), from the repository root. */
  sh(line: string, timeoutMs?: number): { code: number; out: string };
  /** Writes a file inside. */
  write(path: string, body: string): void;
  /** Where a file written inside under /etc, /opt or /var/lib is on the host. */
  hostPath(path: string): string;
  /** Kills the holder and every process naming `dir` in its command line. */
  close(): void;
}

export async function privateRoot(netns: string, dir: string): Promise<PrivateRoot> {
  const holder: ChildProcess = spawn(
    'nsenter',
    [`--net=${netns}`, 'unshare', '--mount', '--propagation', 'private', 'sh', '-c', MOUNTS, 'sh', dir],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  await new Promise<void>((resolve, reject) => {
    holder.stdout!.on('data', (b: Buffer) => {
      out += b.toString();
      if (out.includes('ready')) resolve();
    });
    holder.stderr!.on('data', (b: Buffer) => {
      out += b.toString();
    });
    holder.once('exit', () => reject(new Error(`private mount namespace setup failed: ${out}`)));
  });
  const pid = holder.pid!;
  const enter = ['-t', String(pid), '-m', '-n', `--wd=${ROOT}`, '--'];
  return {
    pid,
    sh(line, timeoutMs = 180_000) {
      const r = spawnSync('nsenter', [...enter, 'sh', '-c', line], { encoding: 'utf8', timeout: timeoutMs });
      return { code: r.status ?? 1, out: `${r.stdout}${r.stderr}` };
    },
    write(path, body) {
      const r = spawnSync(
        'nsenter',
        [...enter, 'sh', '-c', 'mkdir -p "$(dirname "$1")" && cat > "$1"', 'sh', path],
        {
          input: body,
          encoding: 'utf8',
        },
      );
      if (r.status !== 0) throw new Error(`cannot write ${path}: ${r.stderr}`);
    },
    hostPath: (path) => join(dir, 'up', path),
    close() {
      holder.kill('SIGKILL');
      for (const p of readdirSync('/proc')) {
        if (!/^\d+$/.test(p)) continue;
        try {
          if (readFileSync(`/proc/${p}/cmdline`, 'utf8').includes(dir)) process.kill(Number(p), 'SIGKILL');
        } catch {}
      }
    },
  };
}
