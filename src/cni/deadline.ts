// A deadline for in-process plugin calls, the counterpart of the kill an exec'd plugin gets: at expiry
// the caller gets code 11 at once (and with it its lock and slot back). The call itself cannot be
// cancelled, so its late completion is made harmless: a late successful ADD is undone with a DEL of the
// same request, since its caller has already reported the ADD as failed.
import { tryAgainLater } from './errors.js';
import { log } from './log.js';
import type { Outcome, Plugin, Registry } from './plugin.js';
import { errorOutcome, invoke } from './skel.js';

export async function invokeWithDeadline(
  plugin: Plugin,
  vars: Record<string, string | undefined>,
  stdin: Buffer,
  timeoutMs: number,
  registry: Registry,
): Promise<Outcome> {
  const call = invoke(plugin, vars, stdin, registry);
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<'expired'>((resolve) => {
    timer = setTimeout(() => resolve('expired'), timeoutMs);
  });
  try {
    const first = await Promise.race([call, expired]);
    if (first !== 'expired') return first;
  } finally {
    clearTimeout(timer);
  }
  void call.then((late) => undoLate(plugin, vars, stdin, late, registry));
  const err = tryAgainLater(
    `plugin ${plugin.name} did not finish within ${timeoutMs} ms`,
    'the call was abandoned; a late success is undone',
  );
  return errorOutcome(err, stdin);
}

async function undoLate(
  plugin: Plugin,
  vars: Record<string, string | undefined>,
  stdin: Buffer,
  late: Outcome,
  registry: Registry,
): Promise<void> {
  const ctx = {
    plugin: plugin.name,
    containerID: vars['CNI_CONTAINERID'] ?? '',
    ifname: vars['CNI_IFNAME'] ?? '',
  };
  if (vars['CNI_COMMAND'] !== 'ADD' || late.exitCode !== 0) {
    log('warn', 'abandoned call finished late', { ...ctx, exitCode: late.exitCode });
    return;
  }
  const undo = await invoke(plugin, { ...vars, CNI_COMMAND: 'DEL' }, stdin, registry);
  log('warn', 'abandoned ADD finished late and was undone', { ...ctx, delExitCode: undo.exitCode });
}
