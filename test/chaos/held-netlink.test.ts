// A held netlink call through the node agent (issue 16, agent hardening): the agent's netlink
// backend blocks for one pod (a real netlink request the kernel never answers, on the addon's thread
// pool, see held-agent.ts) after the pod's macvlan exists and its address is allocated, as a stalled
// dump or namespace would. Through the C shim as a runtime calls it:
// - another pod's ADD on the same node completes within 3 s while the first is held 8 s, and the
//   first completes once the hold ends;
// - with a request deadline shorter than the hold, the held ADD is answered code 11 at the deadline,
//   the container's lock and the connection slot are free at once (its DEL is served during the hold,
//   nothing in flight), and the late completion is harmless: a late success is undone (no link, no
//   allocation), a late ADD racing the runtime's DEL leaves nothing either.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { SqliteStore } from '../../src/store/sqlite.js';
import { macvlanConf, metric, startAgent, type TestAgent, tempDir } from '../agent/helpers.js';
import { assertAddsInPods } from '../helpers/chaos.js';
import type { PluginRun } from '../helpers/cni.js';
import { links, Scene } from '../helpers/netns.js';
import { DIST } from '../helpers/paths.js';
import { tierSkip } from '../helpers/tier.js';
import { shimCaller } from './exec-burst.js';

const HELD_AGENT = fileURLToPath(new URL('./held-agent.js', import.meta.url));
const ADDON = join(DIST, 'lib', 'trunkline_netlink.node');
const HOLD_MS = 8_000;
/** How long another pod's ADD may take while one is held (a warm ADD takes tens of ms). */
const OTHER_BOUND_MS = 3_000;
const DEADLINE_MS = 1_500;
const SHIM_TIMEOUT_MS = 30_000;

describe('a held netlink call through the agent', {
  timeout: 120_000,
  skip: tierSkip('netlink', existsSync(ADDON) ? undefined : `no ${ADDON}`),
}, () => {
  const scene = new Scene('faultsh');
  const tmp = tempDir();
  let host: ReturnType<Scene['host']>;
  let agent: TestAgent | undefined;
  const db = () => join(tmp.path, 'ipam.db');
  const conf = () =>
    macvlanConf(
      host.master,
      {
        type: 'trunkline-ipam',
        default_ipv4_ippool: ['faults-held'],
        manifestDir: join(tmp.path, 'manifests'),
        stateDir: join(tmp.path, 'state'),
        store: { path: db() },
      },
      'faults-held',
    );
  const holders = async (): Promise<string[]> => {
    const s = new SqliteStore({ path: db() });
    try {
      return (await s.list()).map((a) => a.containerId).sort();
    } finally {
      await s.close();
    }
  };
  const logged = (msg: string) =>
    (agent?.logs() ?? []).flatMap((l) => {
      try {
        const j = JSON.parse(l) as Record<string, unknown>;
        return j['msg'] === msg ? [j] : [];
      } catch {
        return [];
      }
    });
  async function until(what: string, cond: () => boolean, ms: number): Promise<void> {
    const end = Date.now() + ms;
    while (!cond()) {
      assert.ok(Date.now() < end, `${what} within ${ms} ms`);
      await sleep(20);
    }
  }
  const timed = async (p: Promise<PluginRun>) => {
    const t0 = Date.now();
    const r = await p;
    return { r, ms: Date.now() - t0 };
  };

  before(() => {
    host = scene.host();
    mkdirSync(join(tmp.path, 'manifests'));
    writeFileSync(
      join(tmp.path, 'manifests', 'pool.yaml'),
      'apiVersion: spiderpool.spidernet.io/v2beta1\nkind: SpiderIPPool\nmetadata: {name: faults-held}\n' +
        'spec: {subnet: 10.78.0.0/24, ips: [10.78.0.10-10.78.0.200]}\n',
    );
  });
  after(async () => {
    await agent?.stop();
    scene.cleanup();
    tmp.cleanup();
  });

  it(`another pod's ADD completes within ${OTHER_BOUND_MS} ms while one pod's netlink call is held ${HOLD_MS} ms`, async (t) => {
    agent = await startAgent(
      host.path,
      tmp.path,
      ['--hold-match', 'faultshheld', '--hold-ms', String(HOLD_MS)],
      {},
      HELD_AGENT,
    );
    const call = shimCaller(host.path, conf(), SHIM_TIMEOUT_MS, agent.socket);
    const held = scene.netns('held1');
    const free = scene.netns('free1');
    const first = timed(call('ADD', 'faults-h-held', held.path));
    await until(
      'the first ADD reaches the held netlink call',
      () => logged('netlink held').length === 1,
      20_000,
    );
    const other = await timed(call('ADD', 'faults-h-free', free.path));
    const stillHeld = logged('netlink hold ended').length === 0;
    const a = await first;
    t.diagnostic(
      `other pod's ADD: ${other.ms} ms (bound ${OTHER_BOUND_MS} ms) while the first was held; first ADD: ${a.ms} ms`,
    );
    assert.equal(other.r.code, 0, other.r.stdout);
    assert.ok(stillHeld, 'the first pod was still held when the other finished');
    assert.ok(other.ms < OTHER_BOUND_MS, `the other pod's ADD took ${other.ms} ms`);
    assert.equal(a.r.code, 0, a.r.stdout);
    assert.ok(a.ms >= HOLD_MS, `the first ADD waited out its hold (${a.ms} ms)`);
    assertAddsInPods(
      [
        { id: 'faults-h-held', pod: held, res: a.r },
        { id: 'faults-h-free', pod: free, res: other.r },
      ],
      0,
    );
    assert.equal(
      logged('netlink hold ended')[0]?.['code'],
      'ETIMEDOUT',
      'the hold was a real unanswered request',
    );
    assert.deepEqual(await holders(), ['faults-h-free', 'faults-h-held']);
    for (const [id, p] of [
      ['faults-h-held', held],
      ['faults-h-free', free],
    ] as const) {
      assert.equal((await call('DEL', id, p.path)).code, 0);
      assert.deepEqual(links(p.name), ['lo']);
    }
    assert.deepEqual(await holders(), []);
    await agent.stop();
    agent = undefined;
  });

  it(`the request deadline (${DEADLINE_MS} ms) fires on a held call: lock and slot free, the late completion harmless`, async (t) => {
    agent = await startAgent(
      host.path,
      tmp.path,
      [
        '--hold-match',
        'faultshheld',
        '--hold-ms',
        String(HOLD_MS),
        '--request-timeout-ms',
        String(DEADLINE_MS),
      ],
      {},
      HELD_AGENT,
    );
    const call = shimCaller(host.path, conf(), SHIM_TIMEOUT_MS, agent.socket);
    // Left alone: the late success must be undone by the agent itself.
    const alone = scene.netns('held2');
    // DELed by the runtime right after the code 11, while the ADD is still held.
    const raced = scene.netns('held3');
    const [a, b] = await Promise.all([
      timed(call('ADD', 'faults-h-alone', alone.path)),
      timed(call('ADD', 'faults-h-raced', raced.path)),
    ]);
    for (const x of [a, b]) {
      assert.equal(x.r.json?.['code'], 11, x.r.stdout);
      assert.match(String(x.r.json?.['msg']), new RegExp(`did not finish within ${DEADLINE_MS} ms`));
      assert.ok(x.ms < DEADLINE_MS + 3_000, `answered at the deadline, not the hold's end (${x.ms} ms)`);
    }
    assert.equal(logged('netlink hold ended').length, 0, 'both were still held when answered');
    // The container's lock is free: its DEL is served now, during the hold, not queued behind it.
    const del = await timed(call('DEL', 'faults-h-raced', raced.path));
    assert.equal(del.r.code, 0, del.r.stdout);
    assert.ok(del.ms < OTHER_BOUND_MS, `DEL served during the hold (${del.ms} ms)`);
    const inFlight = metric((await agent.http('/metrics')).body, 'trunkline_agent_in_flight');
    assert.equal(inFlight, 0, 'no connection slot held by the abandoned calls');
    assert.equal(logged('netlink hold ended').length, 0, 'all of that happened during the hold');
    // The holds end; both late ADDs complete in the background and must leave nothing behind.
    await until('both holds end', () => logged('netlink hold ended').length === 2, HOLD_MS + 20_000);
    await until(
      'both abandoned calls are settled',
      () =>
        logged('abandoned ADD finished late and was undone').length +
          logged('abandoned call finished late').length ===
        2,
      20_000,
    );
    const undone = logged('abandoned ADD finished late and was undone');
    t.diagnostic(
      `ADDs answered 11 after ${a.ms} / ${b.ms} ms, DEL during the hold ${del.ms} ms; late: ` +
        JSON.stringify(
          [...undone, ...logged('abandoned call finished late')].map((j) => [
            j['containerID'],
            j['msg'],
            j['delExitCode'] ?? j['exitCode'],
          ]),
        ),
    );
    const alonesUndo = undone.find((j) => j['containerID'] === 'faults-h-alone');
    assert.equal(alonesUndo?.['delExitCode'], 0, 'the late success left alone was undone with a DEL');
    assert.deepEqual(links(alone.name), ['lo'], 'no link left by the late ADD');
    assert.deepEqual(links(raced.name), ['lo'], 'no link left by the late ADD that raced its DEL');
    assert.deepEqual(links(host.name).sort(), ['lo', 'uplink0']);
    assert.deepEqual(await holders(), [], 'no allocation left by either late ADD');
    // And the agent serves as before.
    const again = scene.netns('free2');
    assert.equal((await call('ADD', 'faults-h-after', again.path)).code, 0);
    assert.equal((await call('DEL', 'faults-h-after', again.path)).code, 0);
    assert.deepEqual(await holders(), []);
  });
});
