// SIGKILL chaos through the shims (issue 16): bursts of concurrent ADDs while the node agent is
// killed at a random point and restarted; the "runtime" retries a failed ADD after DELeting it, as
// containerd and podman do. Invariants: no duplicate address among successful ADDs, each one present
// in its pod, every failure a CNI error with an integer code, no call past the shim deadline, and after
// DEL of everything no link and no allocation left. Sizes: TRUNKLINE_CHAOS_ROUNDS (default 3) ×
// TRUNKLINE_CHAOS_PODS (default 8); TRUNKLINE_CHAOS_SEED replays a run (printed).
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CNI_PATH, macvlanConf, startAgent, type TestAgent, tempDir, viaShim } from '../agent/helpers.js';
import { assertAddsInPods, envInt, rng } from '../helpers/chaos.js';
import type { PluginRun } from '../helpers/cni.js';
import { links, Scene } from '../helpers/netns.js';

const ROUNDS = envInt('TRUNKLINE_CHAOS_ROUNDS', 3);
const PODS = envInt('TRUNKLINE_CHAOS_PODS', 8);
const SEED = envInt('TRUNKLINE_CHAOS_SEED', Date.now() % 1_000_000);
const TIMEOUT_MS = 30_000;

describe('chaos: the agent SIGKILLed and restarted under bursts of ADDs', { timeout: 600_000 }, () => {
  const scene = new Scene('tc');
  const tmp = tempDir();
  let host: ReturnType<Scene['host']>;
  const pods: { name: string; path: string }[] = [];
  const socket = () => join(tmp.path, 'chaos-agent.sock');
  let agent: TestAgent | undefined;
  const dataDir = () => join(tmp.path, 'hl');
  const conf = () =>
    macvlanConf(host.master, {
      type: 'host-local',
      dataDir: dataDir(),
      ranges: [[{ subnet: '10.69.0.0/24' }]],
    });

  before(() => {
    host = scene.host();
    for (let i = 0; i < PODS; i++) pods.push(scene.netns(`p${i}`));
  });
  after(async () => {
    await agent?.stop();
    scene.cleanup();
    tmp.cleanup();
  });

  const call = (command: string, id: string, netns: string): Promise<PluginRun> =>
    viaShim(
      command,
      {
        id,
        netns,
        socket: socket(),
        hostNetns: host.path,
        path: CNI_PATH,
        extraEnv: { TRUNKLINE_SHIM_TIMEOUT_MS: String(TIMEOUT_MS) },
      },
      conf(),
    );

  /** A DEL cut off by the kill is a CNI error too (code 11); the runtime retries it. */
  async function delUntilDone(id: string, netns: string): Promise<PluginRun> {
    let del = await call('DEL', id, netns);
    for (let i = 0; i < 3 && del.code !== 0; i++) {
      assertCniError(del, `seed ${SEED} ${id} DEL`);
      del = await call('DEL', id, netns);
    }
    return del;
  }

  function assertCniError(r: PluginRun, what: string): void {
    assert.ok(
      r.json && Number.isInteger(r.json['code']),
      `${what}: not a CNI error: ${r.stdout} ${r.stderr.slice(0, 300)}`,
    );
  }

  it(`${ROUNDS} rounds of ${PODS} concurrent ADDs with the agent killed mid-burst`, async (t) => {
    t.diagnostic(`seed ${SEED} (TRUNKLINE_CHAOS_SEED), ${ROUNDS} rounds x ${PODS} pods`);
    const r = rng(SEED);
    let killed = 0;
    let failures = 0;
    let adds = 0;
    for (let round = 0; round < ROUNDS; round++) {
      agent = await startAgent(host.path, tmp.path, ['--socket', socket()]);
      const a = agent;
      const killAfter = Math.floor(r() * 400);
      const killer = new Promise<void>((res) =>
        setTimeout(() => {
          a.child.kill('SIGKILL');
          killed++;
          res();
        }, killAfter),
      );
      const results = await Promise.all(
        pods.map(async (p, i) => {
          const id = `chaos-r${round}-p${i}`;
          for (let attempt = 0; attempt < 4; attempt++) {
            const started = Date.now();
            const res = await call('ADD', id, p.path);
            adds++;
            assert.ok(
              Date.now() - started < TIMEOUT_MS + 5_000,
              `seed ${SEED}: ${id} ran past the shim deadline`,
            );
            if (res.code === 0) return { id, pod: p, res };
            failures++;
            assertCniError(res, `seed ${SEED} ${id} ADD`);
            // The runtime's reaction to a failed ADD: DEL (retried like the ADD), then try again.
            const del = await delUntilDone(id, p.path);
            assert.equal(del.code, 0, `seed ${SEED} ${id} DEL after failure: ${del.stdout}`);
          }
          return { id, pod: p, res: undefined };
        }),
      );
      await killer;
      await a.exited;
      const ok = results.filter((x) => x.res !== undefined);
      assertAddsInPods(ok, SEED);
      // DEL of everything, through whatever serves now (the agent is dead: the bundled plugins).
      for (const x of results) {
        const del = await call('DEL', x.id, x.pod.path);
        assert.equal(del.code, 0, `seed ${SEED} ${x.id} DEL: ${del.stdout}`);
      }
      for (const p of pods) assert.deepEqual(links(p.name), ['lo'], `seed ${SEED}: links left in ${p.name}`);
      assert.deepEqual(links(host.name).sort(), ['lo', 'uplink0']);
      const held = readdirSync(join(dataDir(), 'ta-net')).filter((f) => /^\d/.test(f));
      assert.deepEqual(held, [], `seed ${SEED}: allocations left`);
    }
    t.diagnostic(
      `chaos: ${ROUNDS} rounds, ${killed} agent kills, ${adds} ADD calls, ${failures} failed and retried, 0 duplicates, 0 leaks`,
    );
  });
});
