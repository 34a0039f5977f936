// The agent's phase trace (TRUNKLINE_AGENT_TRACE): every phase of a real ADD and DEL through the shim
// is reported, nested phases are counted once, and with the trace off nothing is wrapped.
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startAgent as startInProcess } from '../../src/agent/agent.js';
import { PHASES, type TraceRecord, Tracer } from '../../src/agent/trace.js';
import type { Plugin } from '../../src/cni/plugin.js';
import type { Kernel } from '../../src/kernel/types.js';
import { links, Scene } from '../helpers/netns.js';
import { CNI_PATH, macvlanConf, startAgent, type TestAgent, tempDir, viaShim } from './helpers.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const records = (file: string): TraceRecord[] =>
  readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as TraceRecord);

describe('agent phase trace', () => {
  const tmp = tempDir();
  after(() => tmp.cleanup());

  it('counts a phase nested in another once, and nothing outside a request', async () => {
    const file = join(tmp.path, 'unit.jsonl');
    const tracer = new Tracer(file);
    const source = tracer.wrap({ read: () => sleep(30) }, 'source');
    const conf = tracer.wrap(
      {
        load: async () => {
          await sleep(20);
          await source.read();
        },
        other: () => 'untimed',
      },
      'config',
      ['load'],
    );
    await conf.load(); // no request: timed nowhere
    const t = tracer.begin();
    let elapsed = 0;
    await tracer.within(t, async () => {
      const t0 = performance.now();
      await conf.load();
      elapsed = performance.now() - t0;
      assert.equal(conf.other(), 'untimed');
    });
    const rec = tracer.end(t);
    await tracer.close();
    assert.ok(rec.source >= 25, `source ${rec.source}`);
    assert.ok(rec.config >= 15, `config ${rec.config}`);
    // Counted once: config's own time plus the source read inside it is the call's time, not more.
    assert.ok(Math.abs(rec.config + rec.source - elapsed) < 5, `${rec.config} + ${rec.source} vs ${elapsed}`);
    assert.ok(rec.total >= rec.config + rec.source, `total ${rec.total}`);
    assert.ok(
      Math.abs(rec.total - rec.other - PHASES.reduce((a, p) => a + rec[p], 0)) < 0.01,
      'sequential phases add up',
    );
    assert.equal(tracer.wrap(source, 'source'), tracer.wrap(source, 'source'), 'one proxy per object');
    assert.deepEqual(records(file), [rec]);
  });

  it('adds nothing when off: the plugins and their kernel are the objects given', async () => {
    assert.equal(process.env['TRUNKLINE_AGENT_TRACE'], undefined);
    const plugins = new Map<string, Plugin>();
    const kernel = {} as Kernel;
    const agent = await startInProcess({ socketPath: join(tmp.path, 'off.sock'), kernel, plugins });
    try {
      assert.equal(agent.plugins, plugins);
    } finally {
      await agent.close();
    }
    const traced = new Map<string, Plugin>([['p', { name: 'p' } as Plugin]]);
    const tracer = new Tracer(join(tmp.path, 'on.jsonl'));
    const on = await startInProcess({
      socketPath: join(tmp.path, 'on.sock'),
      kernel,
      plugins: traced,
      tracer,
    });
    try {
      assert.notEqual(on.plugins.get('p'), traced.get('p'), 'with a tracer the plugins are wrapped');
      assert.equal(on.plugins.get('p')?.name, 'p');
    } finally {
      await on.close();
    }
  });

  describe('through the shim', () => {
    const scene = new Scene('tt');
    let host: ReturnType<Scene['host']>;
    let pod: { name: string; path: string };
    let agent: TestAgent;
    const file = join(tmp.path, 'trace.jsonl');

    before(async () => {
      host = scene.host();
      pod = scene.netns('p');
      agent = await startAgent(host.path, tmp.path, [], { TRUNKLINE_AGENT_TRACE: file });
    });
    after(async () => {
      await agent?.stop();
      scene.cleanup();
    });

    it('reports every phase of an ADD and a DEL with trunkline-ipam', async () => {
      const manifestDir = join(tmp.path, 'manifests');
      mkdirSync(manifestDir, { recursive: true });
      writeFileSync(
        join(manifestDir, 'pool.yaml'),
        'apiVersion: spiderpool.spidernet.io/v2beta1\nkind: SpiderIPPool\nmetadata: {name: tt-pool}\n' +
          'spec: {subnet: 10.68.0.0/24, ips: [10.68.0.10-10.68.0.19], gateway: 10.68.0.1}\n',
      );
      const conf = macvlanConf(
        host.master,
        {
          type: 'trunkline-ipam',
          default_ipv4_ippool: ['tt-pool'],
          manifestDir,
          stateDir: join(tmp.path, 'state'),
          store: { path: join(tmp.path, 'ipam.db') },
        },
        'tt-net',
      );
      const call = (command: string) =>
        viaShim(
          command,
          { id: 'tt-c1', netns: pod.path, socket: agent.socket, hostNetns: host.path, path: CNI_PATH },
          conf,
        );
      const add = await call('ADD');
      assert.equal(add.code, 0, add.stdout);
      const del = await call('DEL');
      assert.equal(del.code, 0, del.stdout);
      assert.deepEqual(links(pod.name), ['lo']);
      assert.equal(await agent.stop(), 0);
      const [a, d, ...more] = records(file);
      assert.deepEqual(more, []);
      for (const [r, command] of [
        [a, 'ADD'],
        [d, 'DEL'],
      ] as const) {
        assert.ok(r, `a record for ${command}`);
        assert.deepEqual([r.type, r.command, r.ok], ['trunkline-macvlan', command, true]);
        for (const p of [...PHASES, 'other', 'gc', 'total'] as const)
          assert.ok(Number.isFinite(r[p]) && r[p] >= 0, `${command} ${p}: ${JSON.stringify(r)}`);
        // The kernel, the store and both plugins' config were really visited.
        for (const p of ['kernel', 'store', 'config'] as const)
          assert.ok(r[p] > 0, `${command} ${p}: ${r[p]}`);
        // Phases may run side by side, each call counted in full (a DEL releases while both its
        // links go, the two deletions waiting on each other in the kernel): the kernel's sum can pass
        // the total; the config and the store, each one call after another, cannot.
        for (const p of ['store', 'config'] as const)
          assert.ok(r.total >= r[p], `${command} ${p} ${r[p]} > total ${r.total}`);
      }
      assert.ok(a!.kernelOps['createLink']! > 0, JSON.stringify(a!.kernelOps));
      assert.ok(d!.kernelOps['deleteLink']! > 0, JSON.stringify(d!.kernelOps));
      assert.ok(a!.source > 0, 'ADD reads its pool from the source');
    });
  });
});
