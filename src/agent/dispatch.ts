// Serves one decoded request: picks the in-process plugin, serializes per container, runs it through
// the same dispatch as the process entry (skel.invoke), records metrics and a log line.
import { parseCniArgs } from '../cni/args.js';
import { invokeWithDeadline } from '../cni/deadline.js';
import { log } from '../cni/log.js';
import type { Outcome, Plugin } from '../cni/plugin.js';
import type { AgentMetrics } from './metrics.js';
import type { AgentReply, AgentRequest } from './protocol.js';
import type { KeyedSerializer } from './serial.js';
import type { Tracer } from './trace.js';

export interface Dispatcher {
  plugins: ReadonlyMap<string, Plugin>;
  serializer: KeyedSerializer;
  metrics: AgentMetrics;
  /** Longest a request may run; then it is answered with code 11 and its lock and slot are freed. */
  requestTimeoutMs: number;
  /** Per-request phase timing (TRUNKLINE_AGENT_TRACE); absent, nothing is timed. */
  tracer?: Tracer;
  /** Called when the last request in flight has finished (quiet-moment housekeeping). */
  idle?: () => void;
}

function errorCode(o: Outcome): string {
  try {
    const code = (JSON.parse(o.stdout) as { code?: unknown }).code;
    return typeof code === 'number' ? String(code) : 'unknown';
  } catch {
    return 'unknown';
  }
}

function podOf(env: Record<string, string>): string | undefined {
  try {
    const args = parseCniArgs(env['CNI_ARGS'] ?? '');
    const ns = args.get('K8S_POD_NAMESPACE');
    const name = args.get('K8S_POD_NAME');
    return name ? `${ns ?? ''}/${name}` : undefined;
  } catch {
    return undefined;
  }
}

export async function dispatch(d: Dispatcher, req: AgentRequest): Promise<AgentReply> {
  const plugin = d.plugins.get(req.type);
  if (!plugin) {
    d.metrics.fallbacks.add({ reason: 'unknown-type' }, 1);
    return { status: 'fallback', exitCode: 0, stdout: '', reason: `type ${req.type} is not served here` };
  }
  const command = req.env['CNI_COMMAND'] ?? req.command;
  const containerID = req.env['CNI_CONTAINERID'] ?? '';
  const start = process.hrtime.bigint();
  // The container lock is taken here, once per request. Delegation inside the plugin stays
  // in-process (the agent's plugins are the call's registry) and does not take it again, so a meta
  // plugin calling its delegates cannot deadlock.
  const waited = d.tracer && performance.now();
  const outcome = await d.serializer.run(containerID, () => {
    // Waiting behind the same container's previous command is queueing too.
    if (waited !== undefined) d.tracer?.add('queue', performance.now() - waited);
    return invokeWithDeadline(plugin, req.env, req.stdin, d.requestTimeoutMs, d.plugins);
  });
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  const ok = outcome.exitCode === 0;
  d.metrics.requests.add({ type: req.type, command, result: ok ? 'ok' : 'error' }, 1);
  d.metrics.latency.observe({ command }, seconds);
  const code = ok ? undefined : errorCode(outcome);
  if (code !== undefined) d.metrics.errors.add({ command, code }, 1);
  const pod = podOf(req.env);
  log(ok ? 'info' : 'warn', 'cni request', {
    containerID,
    netns: req.env['CNI_NETNS'] ?? '',
    ifname: req.env['CNI_IFNAME'] ?? '',
    ...(pod !== undefined ? { pod } : {}),
    type: req.type,
    command,
    exitCode: outcome.exitCode,
    ...(code !== undefined ? { code: Number(code) || code } : {}),
    ms: Math.round(seconds * 1e4) / 10,
  });
  return { status: 'ok', exitCode: outcome.exitCode, stdout: outcome.stdout };
}
