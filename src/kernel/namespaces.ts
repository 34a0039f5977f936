// Named network namespaces (/var/run/netns/NAME): what the lab and demo need to build nodes and pods.
// Plugins never create namespaces; the runtime does.
import { KernelError } from './errors.js';
import { run, tool } from './iproute2/run.js';

export const netnsPath = (name: string): string => `/var/run/netns/${name}`;

export async function createNamedNetns(name: string): Promise<string> {
  const r = await run([tool('ip'), 'netns', 'add', name]);
  if (r.code !== 0)
    throw new KernelError(
      `cannot create namespace ${name}: ${r.stderr.trim()}`,
      ['ip', 'netns', 'add', name],
      r.stderr,
    );
  const lo = await run([tool('ip'), '-n', name, 'link', 'set', 'lo', 'up']);
  if (lo.code !== 0) throw new KernelError(`cannot bring lo up in ${name}: ${lo.stderr.trim()}`);
  return netnsPath(name);
}

/** Missing is success: teardown must be idempotent. */
export async function deleteNamedNetns(name: string): Promise<void> {
  const r = await run([tool('ip'), 'netns', 'del', name]);
  if (r.code !== 0 && !/No such file|not found|does not exist/i.test(r.stderr)) {
    throw new KernelError(
      `cannot delete namespace ${name}: ${r.stderr.trim()}`,
      ['ip', 'netns', 'del', name],
      r.stderr,
    );
  }
}

export async function listNamedNetns(): Promise<string[]> {
  const r = await run([tool('ip'), '-j', 'netns', 'list']);
  if (r.code !== 0 || r.stdout.trim() === '') return [];
  return (JSON.parse(r.stdout) as { name: string }[]).map((n) => n.name);
}
