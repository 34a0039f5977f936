// The store-fault burst through the real plugin executables (issue 16, "same invariants" as the
// SIGKILL chaos): concurrent ADDs through the C shim (to the agent, or to the bundled plugin), the
// runtime's reaction to a failed ADD (DEL, retried, then ADD again), and the invariants: no address
// twice among successful ADDs, each one configured in its pod, no call past the shim deadline, every
// failure a CNI error object (integer code, string msg, no stack trace), the store holding exactly the
// successful ADDs, and after DEL of everything no link and no allocation left.
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { CNI_PATH, SHIM, type TestAgent } from '../agent/helpers.js';
import { assertAddsInPods } from '../helpers/chaos.js';
import { type PluginRun, runCni } from '../helpers/cni.js';
import { links } from '../helpers/netns.js';

export interface ExecBurst {
  /** Printed in every failure: the seed and what ran. */
  what: string;
  seed: number;
  hostNs: string;
  pods: readonly { name: string; path: string }[];
  idPrefix: string;
  /** ADD attempts per pod before it counts as failed. */
  attempts: number;
  /** The shim's deadline (TRUNKLINE_SHIM_TIMEOUT_MS); no call may run longer. */
  timeoutMs: number;
  backoffMs: number;
  call(command: 'ADD' | 'DEL', id: string, netns: string): Promise<PluginRun>;
}

export interface ExecOutcome {
  calls: number;
  failures: Map<number, number>;
  ok: { id: string; pod: { name: string; path: string }; res: PluginRun }[];
}

/** A CNI error object as the spec wants it on stdout, with no stack trace anywhere in it. */
export function assertCniError(r: PluginRun, what: string): number {
  const j = r.json;
  assert.ok(
    r.code !== 0 && j && Number.isInteger(j['code']) && typeof j['msg'] === 'string',
    `${what}: not a CNI error (exit ${r.code}): ${r.stdout.slice(0, 300)} ${r.stderr.slice(0, 300)}`,
  );
  assert.doesNotMatch(r.stdout, /\n\s+at [^\n]+:\d+:\d+/, `${what}: a stack trace on stdout`);
  return j['code'] as number;
}

async function timedCall(o: ExecBurst, out: ExecOutcome, command: 'ADD' | 'DEL', id: string, netns: string) {
  const t0 = Date.now();
  const r = await o.call(command, id, netns);
  out.calls++;
  const ms = Date.now() - t0;
  // The shim kills what it ran at its deadline; allow for process start-up and exit on a loaded host.
  assert.ok(ms < o.timeoutMs + 5_000, `${o.what}: ${command} ${id} ran ${ms} ms, past the shim deadline`);
  if (r.code !== 0) {
    const code = assertCniError(r, `${o.what}: ${command} ${id}`);
    out.failures.set(code, (out.failures.get(code) ?? 0) + 1);
  }
  return r;
}

/** DEL until it succeeds (a DEL cut off by the fault is a CNI error too; the runtime retries it). */
async function delUntilDone(o: ExecBurst, out: ExecOutcome, id: string, netns: string): Promise<void> {
  for (let i = 0; ; i++) {
    const r = await timedCall(o, out, 'DEL', id, netns);
    if (r.code === 0) return;
    assert.ok(i < 30, `${o.what}: DEL ${id} never succeeded: ${r.stdout}`);
    await sleep(o.backoffMs);
  }
}

export async function execBurst(o: ExecBurst): Promise<ExecOutcome> {
  const out: ExecOutcome = { calls: 0, failures: new Map(), ok: [] };
  await Promise.all(
    o.pods.map(async (pod, i) => {
      const id = `${o.idPrefix}${i}`;
      for (let a = 0; a < o.attempts; a++) {
        const r = await timedCall(o, out, 'ADD', id, pod.path);
        if (r.code === 0) {
          out.ok.push({ id, pod, res: r });
          return;
        }
        await delUntilDone(o, out, id, pod.path);
        await sleep(o.backoffMs);
      }
    }),
  );
  return out;
}

/**
 * With the faults off: the successful ADDs are in their pods, the store holds exactly them (`held`
 * lists the container ids holding an address of this burst), and DEL of every pod leaves no link in
 * any pod or on the host and nothing held.
 */
export async function settleExec(
  o: ExecBurst,
  out: ExecOutcome,
  held: () => Promise<string[]>,
): Promise<void> {
  assertAddsInPods(out.ok, o.seed);
  assert.deepEqual(
    [...new Set(await held())].sort(),
    out.ok.map((x) => x.id).sort(),
    `${o.what}: the store's holders are not the successful ADDs`,
  );
  for (const [i, pod] of o.pods.entries()) {
    await delUntilDone(o, out, `${o.idPrefix}${i}`, pod.path);
    assert.deepEqual(links(pod.name), ['lo'], `${o.what}: links left in ${pod.name}`);
  }
  assert.deepEqual(links(o.hostNs).sort(), ['lo', 'uplink0'], `${o.what}: links left on the host`);
  assert.deepEqual(await held(), [], `${o.what}: allocations left after DEL`);
}

export function execSummary(out: ExecOutcome): string {
  const codes = [...out.failures].map(([c, n]) => `${n}×${c}`).join(', ') || 'none';
  return `${out.calls} CNI calls, ${out.ok.length} ADDs succeeded, failures (count×code) ${codes}`;
}

/**
 * CNI calls through the macvlan shim inside the host namespace: to the agent on `socket`, or (none)
 * to the bundled plugin processes, with the shim's deadline set to `timeoutMs`.
 */
export function shimCaller(hostPath: string, conf: object, timeoutMs: number, socket?: string) {
  const extraEnv = {
    TRUNKLINE_SHIM_TIMEOUT_MS: String(timeoutMs),
    ...(socket !== undefined ? { TRUNKLINE_AGENT_SOCK: socket } : { TRUNKLINE_NO_AGENT: '1' }),
  };
  return (command: 'ADD' | 'DEL', id: string, netns: string): Promise<PluginRun> =>
    runCni(
      SHIM,
      { command, containerId: id, netns, ifname: 'eth0', path: CNI_PATH, extraEnv },
      conf,
      hostPath,
    );
}

/**
 * After a burst through the agent: it is still running, its log shows it served (at least) the
 * successful ADDs itself (each request logs one "cni request" line), and it stops cleanly.
 */
export async function stopAgentAfter(agent: TestAgent, out: ExecOutcome, what: string): Promise<void> {
  assert.equal(agent.child.exitCode, null, `${what}: the agent survived`);
  const served = agent
    .logs()
    .filter((l) => l.includes('"cni request"') && l.includes('"command":"ADD"')).length;
  assert.ok(served >= out.ok.length, `${what}: the agent served the ADDs (${served} logged)`);
  await agent.stop();
}
