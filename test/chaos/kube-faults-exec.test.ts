// Store faults through the real executables, Kubernetes (issue 16): concurrent ADDs through the C
// shim, once served by the node agent (its watch-backed Kubernetes source and the Kubernetes store)
// and once by the bundled plugin processes (no agent, ipam.store.type "kubernetes"), while the test
// API server answers a seeded share of SpiderIPPool requests (watches included) with 409 or 500,
// delays others and drops connections (the first three status writes: one 409, one 500, one drop).
// The runtime DELs and retries a failed ADD. Invariants
// (exec-burst.ts): no duplicate among successful ADDs, each in its pod, no call past the shim
// deadline, every failure a CNI error without a stack trace, the pool's status holding exactly the
// successful ADDs, and after DEL of everything no link and no allocation left. Sizes:
// TRUNKLINE_CHAOS_PODS (default 8) per run; TRUNKLINE_CHAOS_SEED replays a run (printed).
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { KubernetesSource } from '../../src/cluster/kubernetes/source.js';
import { KubernetesStore } from '../../src/store/kubernetes/index.js';
import { macvlanConf, startAgent, type TestAgent, tempDir } from '../agent/helpers.js';
import { envInt } from '../helpers/chaos.js';
import { Scene } from '../helpers/netns.js';
import { type KubeApiServer, startKubeApiServer } from '../kube-apiserver/server.js';
import { execBurst, execSummary, settleExec, shimCaller, stopAgentAfter } from './exec-burst.js';
import { type Forward, forwardIntoNetns } from './forward.js';
import { injectPoolFaults } from './kube-inject.js';

const PODS = envInt('TRUNKLINE_CHAOS_PODS', 8);
const SEED = envInt('TRUNKLINE_CHAOS_SEED', Date.now() % 1_000_000);
const TIMEOUT_MS = 30_000;

describe('store faults through the executables: Kubernetes API answering 409, 500, slowly, or not at all', {
  timeout: 300_000,
}, () => {
  const scene = new Scene('faultsk');
  const tmp = tempDir();
  let host: ReturnType<Scene['host']>;
  let api: KubeApiServer;
  let fwd: Forward;
  let kubeconfig: string;
  let agent: TestAgent | undefined;

  before(async () => {
    host = scene.host();
    api = await startKubeApiServer();
    fwd = await forwardIntoNetns(host.path, Number(new URL(api.url).port), tmp.path);
    // The same credentials, reached at the relay's port inside the host namespace.
    kubeconfig = join(tmp.path, 'kubeconfig');
    writeFileSync(
      kubeconfig,
      readFileSync(api.kubeconfigPath, 'utf8').replaceAll(api.url, `https://127.0.0.1:${fwd.port}`),
    );
  });
  after(async () => {
    await agent?.stop();
    await fwd?.stop();
    await api?.stop();
    scene.cleanup();
    tmp.cleanup();
  });

  for (const mode of ['no agent', 'agent'] as const) {
    it(`${mode}: ${PODS} concurrent ADDs through the shim under injected API faults`, async (t) => {
      const seed = SEED + (mode === 'agent' ? 1 : 0);
      t.diagnostic(`seed ${seed} (TRUNKLINE_CHAOS_SEED${mode === 'agent' ? ' + 1' : ''}), ${PODS} pods`);
      const pool = mode === 'agent' ? 'faults-k8s-agent' : 'faults-k8s-plain';
      const subnet = mode === 'agent' ? '10.75.1' : '10.75.2';
      api.seed([
        {
          apiVersion: 'spiderpool.spidernet.io/v2beta1',
          kind: 'SpiderIPPool',
          metadata: { name: pool },
          spec: { ipVersion: 4, subnet: `${subnet}.0/24`, ips: [`${subnet}.10-${subnet}.200`] },
        },
      ]);
      if (mode === 'agent') agent = await startAgent(host.path, tmp.path);
      const conf = macvlanConf(
        host.master,
        {
          type: 'trunkline-ipam',
          kubeconfig,
          store: { type: 'kubernetes', backoffMs: 5 },
          default_ipv4_ippool: [pool],
        },
        pool,
      );
      const pods = Array.from({ length: PODS }, (_, i) => scene.netns(`${mode === 'agent' ? 'a' : 'n'}${i}`));
      const o = {
        what: `seed ${seed} ${mode}`,
        seed,
        hostNs: host.name,
        pods,
        idPrefix: `faults-k-${mode === 'agent' ? 'a' : 'n'}-`,
        attempts: 6,
        timeoutMs: TIMEOUT_MS,
        backoffMs: 50,
        call: shimCaller(host.path, conf, TIMEOUT_MS, agent?.socket),
      };
      const reader = new KubernetesStore(new KubernetesSource({ kubeconfig: api.kubeconfigPath }));
      const held = async () =>
        (await reader.list(pool)).map((a) => a.containerId).filter((id) => id.startsWith(o.idPrefix));
      const t0 = Date.now();
      const faults = injectPoolFaults(api, seed, true);
      const out = await execBurst(o);
      faults.off();
      t.diagnostic(`${mode}: ${execSummary(out)}; injected ${JSON.stringify(faults.injected)}`);
      await settleExec(o, out, held);
      const injected = faults.total();
      for (const kind of ['conflict', 'error500', 'dropped'])
        assert.ok(faults.injected[kind]! > 0, `seed ${seed}: no ${kind} met the allocation path`);
      if (agent) await stopAgentAfter(agent, out, o.what);
      agent = undefined;
      t.diagnostic(
        `kubernetes faults (${mode}): ${injected} injected, ${out.ok.length}/${PODS} ADDs succeeded, ` +
          `0 duplicates, 0 links and 0 allocations left, ${Date.now() - t0} ms`,
      );
    });
  }
});
