// Store faults through the real executables, etcd (issue 16): concurrent ADDs through the C shim,
// once served by the bundled plugin processes and once by the node agent (its store kept open), with
// ipam.store.type "etcd", while the real etcd process is SIGKILLed at a seeded moment of the burst and
// restarted on its data dir a little later. The runtime DELs and retries a failed ADD. Invariants
// (exec-burst.ts): no duplicate among successful ADDs, each in its pod, no call past the shim
// deadline, every failure a CNI error without a stack trace, etcd holding exactly the successful ADDs,
// and after DEL of everything no link and no allocation left. Sizes: TRUNKLINE_CHAOS_PODS (default 8)
// per run; TRUNKLINE_CHAOS_SEED replays a run (printed).
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { EtcdStore } from '../../src/store/etcd/index.js';
import { macvlanConf, startAgent, type TestAgent, tempDir } from '../agent/helpers.js';
import { envInt, rng } from '../helpers/chaos.js';
import { type EtcdProcess, haveEtcd, startEtcd } from '../helpers/etcd.js';
import { Scene } from '../helpers/netns.js';
import { tierSkip } from '../helpers/tier.js';
import { execBurst, execSummary, settleExec, shimCaller, stopAgentAfter } from './exec-burst.js';
import { type Forward, forwardIntoNetns } from './forward.js';

const PODS = envInt('TRUNKLINE_CHAOS_PODS', 8);
const SEED = envInt('TRUNKLINE_CHAOS_SEED', Date.now() % 1_000_000);
const TIMEOUT_MS = 30_000;

describe('store faults through the executables: etcd SIGKILLed and restarted mid-burst', {
  timeout: 300_000,
  skip: tierSkip('etcd', haveEtcd ? undefined : 'etcd (Debian etcd-server) is not installed'),
}, () => {
  const scene = new Scene('faultse');
  const tmp = tempDir();
  let host: ReturnType<Scene['host']>;
  let etcd: EtcdProcess;
  let fwd: Forward;
  let agent: TestAgent | undefined;
  const manifests = () => join(tmp.path, 'manifests');

  before(async () => {
    host = scene.host();
    etcd = await startEtcd();
    fwd = await forwardIntoNetns(host.path, Number(new URL(etcd.endpoint).port), tmp.path);
    mkdirSync(manifests());
  });
  after(async () => {
    await agent?.stop();
    await fwd?.stop();
    await etcd?.stop();
    scene.cleanup();
    tmp.cleanup();
  });

  for (const mode of ['no agent', 'agent'] as const) {
    it(`${mode}: ${PODS} concurrent ADDs through the shim with etcd killed and restarted`, async (t) => {
      const seed = SEED + (mode === 'agent' ? 1 : 0);
      const r = rng(seed);
      const tag = mode === 'agent' ? 'a' : 'n';
      const pool = `faults-etcd-${tag}`;
      const subnet = mode === 'agent' ? '10.76.1' : '10.76.2';
      writeFileSync(
        join(manifests(), `${pool}.yaml`),
        `apiVersion: spiderpool.spidernet.io/v2beta1\nkind: SpiderIPPool\nmetadata: {name: ${pool}}\n` +
          `spec: {subnet: ${subnet}.0/24, ips: [${subnet}.10-${subnet}.200]}\n`,
      );
      const prefix = `/faults-etcd/${randomBytes(6).toString('hex')}/`;
      const conf = macvlanConf(
        host.master,
        {
          type: 'trunkline-ipam',
          default_ipv4_ippool: [pool],
          manifestDir: manifests(),
          stateDir: join(tmp.path, `state-${tag}`),
          store: { type: 'etcd', endpoints: [`http://127.0.0.1:${fwd.port}`], prefix, timeoutMs: 2_000 },
        },
        pool,
      );
      if (mode === 'agent') agent = await startAgent(host.path, tmp.path);
      const pods = Array.from({ length: PODS }, (_, i) => scene.netns(`${tag}${i}`));
      const o = {
        what: `seed ${seed} ${mode}`,
        seed,
        hostNs: host.name,
        pods,
        idPrefix: `faults-e-${tag}-`,
        attempts: 8,
        timeoutMs: TIMEOUT_MS,
        backoffMs: 150,
        call: shimCaller(host.path, conf, TIMEOUT_MS, agent?.socket),
      };
      const reader = new EtcdStore({ endpoints: [etcd.endpoint], prefix, timeoutMs: 5_000 });
      const held = async () => (await reader.list(pool)).map((a) => a.containerId);
      // The kill lands on store traffic: a seeded moment after the k-th connection to etcd opened
      // (each plugin process opens its own; the agent reconnects after the restart).
      const killOnConn = 1 + Math.floor(r() * (mode === 'agent' ? 2 : PODS));
      const killDelay = Math.floor(r() * 50);
      const downFor = 300 + Math.floor(r() * 700);
      t.diagnostic(
        `seed ${seed} (TRUNKLINE_CHAOS_SEED${mode === 'agent' ? ' + 1' : ''}), ${PODS} pods; etcd ` +
          `SIGKILLed ${killDelay} ms after connection ${killOnConn} to it opened, down ${downFor} ms`,
      );
      const t0 = Date.now();
      const connsBefore = fwd.connections;
      let inFlight = 0;
      let inFlightAtKill = -1;
      let chaos: Promise<void> | undefined;
      fwd.onConnection = (n) => {
        if (n - connsBefore !== killOnConn) return;
        chaos = (async () => {
          await sleep(killDelay);
          await etcd.kill();
          inFlightAtKill = inFlight;
          await sleep(downFor);
          await etcd.restart();
        })();
      };
      const plain = o.call;
      o.call = async (...a) => {
        inFlight++;
        try {
          return await plain(...a);
        } finally {
          inFlight--;
        }
      };
      let out: Awaited<ReturnType<typeof execBurst>>;
      try {
        out = await execBurst(o);
      } finally {
        await chaos;
      }
      fwd.onConnection = undefined;
      o.call = plain;
      t.diagnostic(`${mode}: ${execSummary(out)}; ${inFlightAtKill} calls in flight when etcd died`);
      assert.ok(inFlightAtKill > 0, `seed ${seed}: etcd died with no call in flight`);
      try {
        await settleExec(o, out, held);
      } finally {
        await reader.close();
      }
      if (agent) await stopAgentAfter(agent, out, o.what);
      agent = undefined;
      t.diagnostic(
        `etcd faults (${mode}): 1 SIGKILL + restart, ${out.ok.length}/${PODS} ADDs succeeded, ` +
          `0 duplicates, 0 links and 0 allocations left, ${Date.now() - t0} ms`,
      );
    });
  }
});
