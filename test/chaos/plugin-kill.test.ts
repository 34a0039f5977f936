// SIGKILL chaos without the agent (issue 16): bursts of concurrent ADDs through the C shims, each
// running its bundled Node plugin (macvlan + trunkline-ipam on SQLite), with a seeded share of those
// plugin processes SIGKILLed (their whole process group) at a random moment of their ADD. The runtime
// then either DELs and retries, or abandons the container (its sandbox removed, no DEL ever), and a
// later CNI GC with the live attachments must reclaim what the killed call took. Invariants: no
// duplicate address among successful ADDs, each one present in its pod, no call past the shim
// deadline, every failure a CNI error with an integer code, and at the end no link and no allocation
// left. Sizes: TRUNKLINE_CHAOS_ROUNDS (default 2) × TRUNKLINE_CHAOS_PODS (default 8);
// TRUNKLINE_CHAOS_SEED replays a run (printed).
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import Database from 'better-sqlite3';
import { CNI_PATH, macvlanConf, tempDir } from '../agent/helpers.js';
import { assertAddsInPods, envInt, rng } from '../helpers/chaos.js';
import { type PluginRun, runCni } from '../helpers/cni.js';
import { links, Scene } from '../helpers/netns.js';
import { DIST_CNI } from '../helpers/paths.js';

const ROUNDS = envInt('TRUNKLINE_CHAOS_ROUNDS', 2);
const PODS = envInt('TRUNKLINE_CHAOS_PODS', 8);
const SEED = envInt('TRUNKLINE_CHAOS_SEED', Date.now() % 1_000_000);
const TIMEOUT_MS = 60_000;

/** The bundled plugin the shim forked (its own process group), once it exists. */
function pluginOf(shimPid: number): number | undefined {
  try {
    const kids = readFileSync(`/proc/${shimPid}/task/${shimPid}/children`, 'utf8').trim();
    return kids === '' ? undefined : Number(kids.split(' ')[0]);
  } catch {
    return undefined;
  }
}

describe('chaos: plugin processes SIGKILLed mid-ADD, no agent', { timeout: 600_000 }, () => {
  const scene = new Scene('tk');
  const tmp = tempDir();
  let host: ReturnType<Scene['host']>;
  const db = () => join(tmp.path, 'ipam.db');
  const conf = () =>
    macvlanConf(
      host.master,
      {
        type: 'trunkline-ipam',
        default_ipv4_ippool: ['chaos-kill'],
        manifestDir: join(tmp.path, 'manifests'),
        stateDir: join(tmp.path, 'state'),
        store: { path: db() },
      },
      'chaos-kill-net',
    );

  before(() => {
    host = scene.host();
    mkdirSync(join(tmp.path, 'manifests'));
    writeFileSync(
      join(tmp.path, 'manifests', 'pool.yaml'),
      'apiVersion: spiderpool.spidernet.io/v2beta1\nkind: SpiderIPPool\nmetadata: {name: chaos-kill}\n' +
        'spec: {subnet: 10.74.0.0/24, ips: [10.74.0.10-10.74.0.250], gateway: 10.74.0.1}\n',
    );
  });
  after(() => {
    reader?.close();
    scene.cleanup();
    tmp.cleanup();
  });

  /** One CNI call through the shim with the agent absent; `onStart` sees the shim's pid. */
  const call = (
    command: string,
    id: string,
    netns: string | undefined,
    stdin: object = conf(),
    onStart?: (pid: number) => void,
  ): Promise<PluginRun> =>
    runCni(
      join(DIST_CNI, 'trunkline-macvlan'),
      {
        command,
        containerId: id,
        ...(netns !== undefined ? { netns } : {}),
        ifname: 'eth0',
        path: CNI_PATH,
        extraEnv: { TRUNKLINE_NO_AGENT: '1', TRUNKLINE_SHIM_TIMEOUT_MS: String(TIMEOUT_MS) },
      },
      stdin,
      host.path,
      onStart,
    );

  function assertCniError(r: PluginRun, what: string): void {
    assert.ok(
      r.json && Number.isInteger(r.json['code']) && typeof r.json['msg'] === 'string',
      `seed ${SEED} ${what}: not a CNI error: ${r.stdout} ${r.stderr.slice(0, 300)}`,
    );
  }

  /** Whether the store holds an address for the container (a read-only look, as another process). */
  const holds = (id: string): boolean => {
    try {
      reader ??= new Database(db(), { readonly: true, fileMustExist: true });
      return reader.prepare('SELECT 1 FROM allocations WHERE container_id = ?').get(id) !== undefined;
    } catch {
      return false;
    }
  };
  let reader: InstanceType<typeof Database> | undefined;

  const heldIds = async (): Promise<string[]> => {
    const { SqliteStore } = await import('../../src/store/sqlite.js');
    const s = new SqliteStore({ path: db() });
    try {
      return (await s.list()).map((a) => a.containerId).sort();
    } finally {
      await s.close();
    }
  };

  it(`${ROUNDS} rounds of ${PODS} concurrent ADDs, plugins killed mid-ADD, DEL or GC reclaims`, async (t) => {
    t.diagnostic(`seed ${SEED} (TRUNKLINE_CHAOS_SEED), ${ROUNDS} rounds x ${PODS} pods`);
    const r = rng(SEED);
    // How long one ADD takes on this machine now: kills are spread over that span (stretched for the
    // burst's contention), so they land in start-up, config loading, the store and the netlink work.
    const probe = scene.netns('probe');
    const t0 = Date.now();
    assert.equal((await call('ADD', 'kill-probe', probe.path)).code, 0);
    const addMs = Date.now() - t0;
    assert.equal((await call('DEL', 'kill-probe', probe.path)).code, 0);
    scene.remove(probe.name);
    t.diagnostic(`one ADD takes ${addMs} ms here: kills land 0.3-2.5x that into an ADD`);
    const n = { calls: 0, killed: 0, afterCommit: 0, failed: 0, abandoned: 0, gcReclaimed: 0, ok: 0 };
    for (let round = 0; round < ROUNDS; round++) {
      const pods = Array.from({ length: PODS }, (_, i) => ({ i, ...scene.netns(`r${round}p${i}`) }));
      const results = await Promise.all(
        pods.map(async (p) => {
          const id = `kill-r${round}-p${p.i}`;
          for (let attempt = 0; attempt < 4; attempt++) {
            // Half the first attempts get their plugin killed: most at a random moment (Node start-up,
            // config loading, the store transaction, the netlink work), some right after the store
            // committed their address — what a DEL or GC must then give back.
            const target = attempt === 0 && r() < 0.5;
            const afterCommit = r() < 0.25;
            const delay = Math.floor(addMs * (0.3 + r() * 2.2));
            let landed = false;
            const started = Date.now();
            const res = await call('ADD', id, p.path, conf(), (shim) => {
              if (!target) return;
              void (async () => {
                if (afterCommit) {
                  for (let w = 0; w < 1000 && !holds(id); w++) await sleep(10);
                } else await sleep(delay);
                const plugin = pluginOf(shim);
                if (plugin === undefined) return;
                try {
                  process.kill(-plugin, 'SIGKILL');
                  landed = true;
                } catch {
                  // finished already
                }
              })();
            });
            n.calls++;
            if (landed) n.killed++;
            if (landed && afterCommit) n.afterCommit++;
            assert.ok(
              Date.now() - started < TIMEOUT_MS + 5_000,
              `seed ${SEED}: ${id} ran past the shim deadline`,
            );
            if (res.code === 0) return { id, pod: p, res, abandoned: false };
            n.failed++;
            assertCniError(res, `${id} ADD`);
            // A runtime that lost the sandbox along with the call never DELs: only GC helps. Every
            // container killed after its address was stored is one of those, some others too.
            if ((landed && afterCommit) || r() < 0.2) return { id, pod: p, res: undefined, abandoned: true };
            const del = await call('DEL', id, p.path);
            n.calls++;
            assert.equal(del.code, 0, `seed ${SEED} ${id} DEL after failure: ${del.stdout}`);
          }
          return { id, pod: p, res: undefined, abandoned: false };
        }),
      );
      const ok = results.filter((x) => x.res !== undefined);
      n.ok += ok.length;
      assertAddsInPods(ok, SEED);
      // The abandoned sandboxes go away with whatever the killed ADD put in them.
      const abandoned = results.filter((x) => x.abandoned);
      n.abandoned += abandoned.length;
      for (const x of abandoned) scene.remove(x.pod.name);
      // CNI GC with the attachments that are still alive.
      const valid = ok.map((x) => ({ containerID: x.id, ifname: 'eth0' }));
      const before = await heldIds();
      const gc = await call('GC', 'gc', undefined, {
        ...conf(),
        cniVersion: '1.1.0',
        'cni.dev/valid-attachments': valid,
      });
      n.calls++;
      assert.equal(gc.code, 0, `seed ${SEED} GC: ${gc.stdout} ${gc.stderr.slice(0, 300)}`);
      const afterGc = await heldIds();
      n.gcReclaimed += before.length - afterGc.length;
      const killedHolding = abandoned.filter((x) => before.includes(x.id)).length;
      assert.equal(
        before.length - afterGc.length,
        killedHolding,
        `seed ${SEED}: GC reclaimed the abandoned holders`,
      );
      assert.deepEqual(
        afterGc,
        ok.map((x) => x.id).sort(),
        `seed ${SEED}: holders after GC == live containers`,
      );
      for (const x of results.filter((y) => !y.abandoned)) {
        const del = await call('DEL', x.id, x.pod.path);
        n.calls++;
        assert.equal(del.code, 0, `seed ${SEED} ${x.id} DEL: ${del.stdout}`);
        assert.deepEqual(links(x.pod.name), ['lo'], `seed ${SEED}: links left in ${x.pod.name}`);
        scene.remove(x.pod.name);
      }
      assert.deepEqual(links(host.name).sort(), ['lo', 'uplink0'], `seed ${SEED}: links left on the host`);
      assert.deepEqual(await heldIds(), [], `seed ${SEED}: allocations left`);
    }
    t.diagnostic(
      `no-agent chaos: ${ROUNDS} rounds, ${n.calls} CNI calls, ${n.killed} plugin processes SIGKILLed mid-ADD, ` +
        `${n.failed} ADDs failed, ${n.abandoned} containers abandoned, ${n.gcReclaimed} allocations reclaimed by GC, ` +
        `${n.afterCommit} of the kills right after the store committed, ${n.ok} ADDs succeeded, 0 duplicates, 0 links and 0 allocations left`,
    );
  });
});
