// Runs a command with a service account's files at /var/run/secrets/kubernetes.io/serviceaccount,
// as a pod sees them, without touching the host: started by inClusterCommand() under
// `unshare --mount --propagation slave`, it replaces /run (in its own mount namespace only) with a
// tmpfs that re-binds every entry of the real /run (so /run/netns and namespaces created later stay
// visible: the binds are slaves of the host's mounts) plus the service-account directory.
// Usage: incluster-exec.js SA_DIR -- COMMAND [ARGS...]
import { execFileSync, spawn } from 'node:child_process';
import { lstatSync, mkdirSync, readdirSync, readlinkSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const [saDir, sep, cmd, ...args] = process.argv.slice(2);
if (!saDir || sep !== '--' || !cmd) {
  process.stderr.write('usage: incluster-exec SA_DIR -- COMMAND [ARGS...]\n');
  process.exit(2);
}
const mount = (...a: string[]) => execFileSync('mount', a, { stdio: ['ignore', 'ignore', 'inherit'] });

// Beside the service-account files, so it goes when the test API server removes its directory.
const old = `${saDir}-host-run`;
mkdirSync(old, { recursive: true });
mount('--rbind', '/run', old);
mount('-t', 'tmpfs', '-o', 'mode=755', 'tmpfs', '/run');
for (const e of readdirSync(old)) {
  const from = join(old, e);
  const to = join('/run', e);
  const st = lstatSync(from);
  if (st.isSymbolicLink()) symlinkSync(readlinkSync(from), to);
  else if (st.isDirectory()) {
    // recursive: mount(8) may already have made /run/mount for its own bookkeeping.
    mkdirSync(to, { recursive: true });
    mount('--rbind', from, to);
  } else {
    writeFileSync(to, '', { flag: 'a' });
    mount('--bind', from, to);
  }
}
const target = '/run/secrets/kubernetes.io/serviceaccount';
mkdirSync(target, { recursive: true });
mount('--bind', saDir, target);
mount('-o', 'remount,bind,ro', target);

const child = spawn(cmd, args, { stdio: 'inherit' });
for (const sig of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) process.on(sig, () => child.kill(sig));
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 128 : 1)));
