// Fuzzing every plugin through the C shim, with and without the agent (issue 16): mutated configs and
// environments (truncated JSON, wrong types, huge strings, unicode, shell metacharacters, "../" in
// names, deep nesting, a 10 MB stdin). Every run ends with a result or a CNI error object with an
// integer code, no stack trace on stdout, the agent stays healthy, nothing is left in any namespace.
// No call may answer 999 (internal error): every mutated input is the caller's error and gets the
// spec's code (test/fuzz/regressions.test.ts keeps one case per cause found).
// Sizes: TRUNKLINE_FUZZ_CASES per plugin with the agent and TRUNKLINE_FUZZ_NOAGENT_CASES without it
// (both 1,000 by default); TRUNKLINE_FUZZ_JOBS calls in flight (default: cores + 2, at least 4), each
// worker with a pod namespace of its own, so no case races another's interface and a worker's pod is
// checked empty after every batch of TRUNKLINE_FUZZ_BATCH cases (default 100), not once per campaign.
// Every case draws from its own generator (seed, case number), so TRUNKLINE_FUZZ_SEED replays a run
// and the failing case's number names its input whatever the interleaving.
// Paths the plugins write to (dataDir, stateDir, cniDir, …) are never mutated: a missing one would
// fall back to the system default directories.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { basename, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CNI_PATH, startAgent, type TestAgent, tempDir } from '../agent/helpers.js';
import { envInt, rng } from '../helpers/chaos.js';
import { type PluginRun, runCni } from '../helpers/cni.js';
import { links, Scene } from '../helpers/netns.js';
import { DIST_CNI } from '../helpers/paths.js';

const CASES = envInt('TRUNKLINE_FUZZ_CASES', 1000);
const NOAGENT_CASES = envInt('TRUNKLINE_FUZZ_NOAGENT_CASES', 1000);
const JOBS = envInt('TRUNKLINE_FUZZ_JOBS', Math.max(4, availableParallelism() + 2)) || 1;
const BATCH = envInt('TRUNKLINE_FUZZ_BATCH', 100) || 1;
const SEED = envInt('TRUNKLINE_FUZZ_SEED', Date.now() % 1_000_000);
const PWNED = '/tmp/tl-fuzz-pwned';

const PATH_KEYS = new Set(['dataDir', 'stateDir', 'manifestDir', 'cniDir', 'binDir', 'confDir', 'path']);
const NASTY: unknown[] = [
  null,
  true,
  0,
  -1,
  1e308,
  3.5,
  '',
  [],
  {},
  ['a', 1, null],
  'x'.repeat(100_000),
  '\u202e\u0000\ud83d\ude00é',
  `$(touch ${PWNED})`,
  `;touch ${PWNED};`,
  `\`touch ${PWNED}\``,
  '../../../../etc/passwd',
  '..',
  'eth0/../..',
  JSON.parse(`${'['.repeat(3000)}1${']'.repeat(3000)}`),
];

type Rand = () => number;
const pick = <T>(r: Rand, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;

/** One mutation of a config object (a deep copy), path keys untouched. */
function mutateValue(r: Rand, v: unknown, depth = 0): unknown {
  if (v === null || typeof v !== 'object' || depth > 3 || r() < 0.3) return pick(r, NASTY);
  const copy: Record<string, unknown> | unknown[] = Array.isArray(v) ? [...v] : { ...(v as object) };
  const keys = Object.keys(copy).filter((k) => !PATH_KEYS.has(k));
  if (keys.length === 0 || r() < 0.15) {
    (copy as Record<string, unknown>)[pick(r, ['extra', 'type', 'name', '__proto__', 'cniVersion'])] = pick(
      r,
      NASTY,
    );
    return copy;
  }
  const k = pick(r, keys);
  (copy as Record<string, unknown>)[k] = mutateValue(r, (copy as Record<string, unknown>)[k], depth + 1);
  return copy;
}

function mutateCase(
  r: Rand,
  base: Record<string, unknown>,
): { stdin: string; env: Record<string, string>; command: string } {
  const command = pick(r, ['ADD', 'ADD', 'ADD', 'DEL', 'CHECK', 'GC', 'STATUS', 'VERSION', 'FROB', '']);
  const env: Record<string, string> = {};
  if (r() < 0.3) {
    const key = pick(r, ['CNI_IFNAME', 'CNI_CONTAINERID', 'CNI_ARGS', 'CNI_NETNS']);
    // The environment cannot carry NUL bytes (execve would refuse it before any plugin runs).
    env[key] = String(
      pick(
        r,
        NASTY.filter((x) => typeof x === 'string'),
      ),
    ).replaceAll('\0', '');
  }
  let stdin = JSON.stringify(r() < 0.9 ? mutateValue(r, base) : base);
  const roll = r();
  if (roll < 0.15) stdin = stdin.slice(0, Math.floor(r() * stdin.length));
  else if (roll < 0.18) stdin = stdin.replace(/[{}[\]]/, pick(r, ['', '"', '\\', '\u0000']));
  return { stdin, env, command };
}

/** host-local's allocations (one file per address) anywhere under dir: a mutated name may move them. */
function heldByHostLocal(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((f) =>
    /^(\d+\.\d+\.\d+\.\d+|[0-9a-f:]*:[0-9a-f:]*)$/.test(basename(f)),
  );
}

function assertCniOutcome(r: PluginRun, what: string): void {
  assert.doesNotMatch(r.stdout, /\n\s+at .+\(.+:\d+:\d+\)/, `${what}: stack trace on stdout`);
  if (r.code === 0) {
    if (r.stdout.trim() !== '')
      assert.ok(r.json, `${what}: exit 0 with non-JSON stdout ${r.stdout.slice(0, 200)}`);
    return;
  }
  assert.ok(
    r.json,
    `${what}: exit ${r.code} without a JSON error: ${r.stdout.slice(0, 200)} ${r.stderr.slice(0, 300)}`,
  );
  assert.ok(Number.isInteger(r.json['code']), `${what}: code is not an integer: ${r.stdout.slice(0, 200)}`);
  assert.equal(typeof r.json['msg'], 'string', `${what}: msg`);
}

// The whole suite: 8,000 calls by default, ~2 min of two idle cores but 12+ min on a machine at load 90.
describe('fuzzing every plugin through the shim', { timeout: 3_600_000 }, () => {
  const scene = new Scene('tf');
  const tmp = tempDir();
  let host: ReturnType<Scene['host']>;
  let pods: { name: string; path: string }[];
  let agent: TestAgent;
  const deep = () => join(tmp.path, 'a', 'b', 'c', 'd');
  const bases = (pod: { path: string }): Record<string, Record<string, unknown>> => {
    const hostLocal = {
      type: 'host-local',
      dataDir: join(deep(), 'hl'),
      ranges: [[{ subnet: '10.68.0.0/24' }]],
    };
    const ipam = {
      type: 'trunkline-ipam',
      manifestDir: join(deep(), 'm'),
      stateDir: join(deep(), 's'),
      store: { type: 'sqlite', path: join(deep(), 's', 'ipam.db') },
    };
    return {
      'trunkline-macvlan': {
        cniVersion: '1.0.0',
        name: 'fz',
        type: 'trunkline-macvlan',
        master: 'uplink0',
        mode: 'bridge',
        ipam: hostLocal,
      },
      'trunkline-ipam': {
        cniVersion: '1.0.0',
        name: 'fz',
        type: 'trunkline-macvlan',
        master: 'uplink0',
        ipam,
      },
      trunkline: {
        cniVersion: '1.0.0',
        name: 'fz-meta',
        type: 'trunkline',
        cniDir: join(deep(), 'cache'),
        binDir: DIST_CNI,
        confDir: join(deep(), 'confd'),
        source: { type: 'local', manifestDir: join(deep(), 'm'), stateDir: join(deep(), 's') },
        delegates: [
          { cniVersion: '1.0.0', name: 'fzd', type: 'trunkline-macvlan', master: 'uplink0', ipam: hostLocal },
        ],
      },
      'trunkline-coordinator': {
        cniVersion: '1.0.0',
        name: 'fz',
        type: 'trunkline-coordinator',
        mode: 'underlay',
        prevResult: {
          cniVersion: '1.0.0',
          interfaces: [{ name: 'eth0', sandbox: pod.path }],
          ips: [{ address: '10.68.0.9/24', interface: 0 }],
        },
      },
    };
  };

  before(async () => {
    host = scene.host();
    pods = Array.from({ length: JOBS }, (_, w) => scene.netns(`p${w}`));
    mkdirSync(deep(), { recursive: true });
    agent = await startAgent(host.path, tmp.path);
  });
  after(async () => {
    await agent?.stop();
    scene.cleanup();
    tmp.cleanup();
  });

  async function campaign(
    type: string,
    cases: number,
    seed: number,
    withAgent: boolean,
  ): Promise<{ tally: Record<string, number>; internal: string[] }> {
    const tally: Record<string, number> = {};
    const internal: string[] = [];
    let next = 0;
    const worker = async (pod: { name: string; path: string }) => {
      const base = bases(pod)[type]!;
      let batch: number[] = [];
      const checkBatch = () => {
        assert.deepEqual(
          links(pod.name),
          ['lo'],
          `seed ${seed}: links left in ${pod.name} by one of cases ${batch.join(',')}`,
        );
        batch = [];
      };
      for (let i = next++; i < cases; i = next++) {
        const c = mutateCase(rng((seed ^ Math.imul(i + 1, 0x9e3779b1)) >>> 0), base);
        const id = `fz${seed}x${i}`;
        const extraEnv: Record<string, string> = {
          TRUNKLINE_SHIM_TIMEOUT_MS: '60000',
          ...(withAgent ? { TRUNKLINE_AGENT_SOCK: agent.socket } : { TRUNKLINE_NO_AGENT: '1' }),
          ...c.env,
        };
        const call = {
          command: c.command,
          containerId: id,
          netns: pod.path,
          ifname: 'eth0',
          path: CNI_PATH,
          extraEnv,
        };
        // One 10 MB stdin per campaign (the shim's limit is 16 MiB).
        const stdin = i === 0 ? `${c.stdin}${' '.repeat(10 * 1024 * 1024)}` : c.stdin;
        const out = await runCni(join(DIST_CNI, type), call, stdin, host.path);
        const what = `${type} seed ${seed} case ${i} (${c.command} ${JSON.stringify(c.env).slice(0, 80)} ${c.stdin.slice(0, 120)})`;
        assertCniOutcome(out, what);
        const key = out.code === 0 ? 'ok' : `code ${out.json?.['code']}`;
        tally[key] = (tally[key] ?? 0) + 1;
        if (out.json?.['code'] === 999) internal.push(`${what}: ${out.stdout.slice(0, 300)}`);
        if (out.code === 0 && c.command === 'ADD') {
          // Undo what a successful ADD made, with the same (mutated) input.
          const del = await runCni(join(DIST_CNI, type), { ...call, command: 'DEL' }, c.stdin, host.path);
          assertCniOutcome(del, `${what} DEL`);
          if (del.json?.['code'] === 999) internal.push(`${what} DEL: ${del.stdout.slice(0, 300)}`);
        }
        batch.push(i);
        if (batch.length >= BATCH) checkBatch();
      }
      if (batch.length > 0) checkBatch();
    };
    await Promise.all(pods.map(worker));
    return { tally, internal };
  }

  for (const withAgent of [true, false]) {
    for (const type of ['trunkline-macvlan', 'trunkline-ipam', 'trunkline', 'trunkline-coordinator']) {
      const cases = withAgent ? CASES : NOAGENT_CASES;
      it(`${type} ${withAgent ? 'with' : 'without'} the agent: ${cases} mutated calls`, async (t) => {
        const seed = SEED + type.length + (withAgent ? 0 : 1000);
        t.diagnostic(`seed ${seed} (TRUNKLINE_FUZZ_SEED=${SEED}), ${cases} cases, ${JOBS} in flight`);
        const started = Date.now();
        const { tally, internal } = await campaign(type, cases, seed, withAgent);
        t.diagnostic(
          `fuzz ${type} ${withAgent ? 'agent' : 'no-agent'}: ${cases} cases, ${JOBS} in flight, ` +
            `${((Date.now() - started) / 1000).toFixed(1)} s, outcomes ${JSON.stringify(tally)}`,
        );
        assert.deepEqual(internal, [], `seed ${seed}: ${internal.length} calls answered 999`);
        assert.equal(existsSync(PWNED), false, 'a shell metacharacter was executed');
        assert.deepEqual(links(host.name).sort(), ['lo', 'uplink0'], `seed ${seed}: links left on the host`);
        assert.deepEqual(heldByHostLocal(tmp.path), [], `seed ${seed}: host-local allocations left`);
        const health = await agent.http('/healthz');
        assert.equal(health.status, 200, `seed ${seed}: agent unhealthy: ${health.body}`);
      });
    }
  }
});
