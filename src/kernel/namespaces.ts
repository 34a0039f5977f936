// Named network namespaces (/var/run/netns/NAME): what the lab and demo need to build nodes and pods.
// Plugins never create namespaces; the runtime does.
import { KernelError } from './errors.js';
import { errnoOfText } from './iproute2/classify.js';
import { type RunResult, run, tool } from './iproute2/run.js';

const failed = (what: string, argv: readonly string[], r: RunResult) =>
  new KernelError(`${what}: ${r.stderr.trim() || `exit ${r.code}`}`, {
    argv,
    stderr: r.stderr.trim(),
    errno: errnoOfText(r.stderr),
  });

export const netnsPath = (name: string): string => `/var/run/netns/${name}`;

export async function createNamedNetns(name: string): Promise<string> {
  const add = [tool('ip'), 'netns', 'add', name];
  const r = await run(add);
  if (r.code !== 0) throw failed(`cannot create namespace ${name}`, add, r);
  const up = [tool('ip'), '-n', name, 'link', 'set', 'lo', 'up'];
  const lo = await run(up);
  if (lo.code !== 0) throw failed(`cannot bring lo up in ${name}`, up, lo);
  return netnsPath(name);
}

/** Missing is success: teardown must be idempotent. */
export async function deleteNamedNetns(name: string): Promise<void> {
  const del = [tool('ip'), 'netns', 'del', name];
  const r = await run(del);
  if (r.code !== 0 && !/No such file|not found|does not exist/i.test(r.stderr)) {
    throw failed(`cannot delete namespace ${name}`, del, r);
  }
}

export async function listNamedNetns(): Promise<string[]> {
  const r = await run([tool('ip'), '-j', 'netns', 'list']);
  if (r.code !== 0 || r.stdout.trim() === '') return [];
  return (JSON.parse(r.stdout) as { name: string }[]).map((n) => n.name);
}
