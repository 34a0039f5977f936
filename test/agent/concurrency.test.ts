// The agent under concurrency, with a slow IPAM stand-in (an external delegate the agent executes)
// that logs when each call starts and ends: per-container serialization, the connection limit's
// back-pressure, the shim's hard timeout (code 11), and a graceful stop that finishes what it accepted.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { links, Scene } from '../helpers/netns.js';
import {
  CNI_PATH,
  type Event,
  macvlanConf,
  metric,
  slowIpam,
  startAgent,
  tempDir,
  viaShim,
} from './helpers.js';

const span = (events: Event[], command: string, id: string) => {
  const start = events.find((e) => e.what === 'start' && e.command === command && e.id === id);
  const end = events.find((e) => e.what === 'end' && e.command === command && e.id === id);
  assert.ok(start && end, `IPAM ${command} ${id} ran`);
  return { start: start.at, end: end.at };
};

describe('agent concurrency', () => {
  const scene = new Scene('ta');
  const tmp = tempDir();
  let host: ReturnType<Scene['host']>;
  const pods: { name: string; path: string }[] = [];

  before(() => {
    host = scene.host();
    for (let i = 0; i < 4; i++) pods.push(scene.netns(`p${i}`));
  });
  after(() => {
    scene.cleanup();
    tmp.cleanup();
  });

  it('never interleaves ADD and DEL of one container, while other containers run in parallel', async () => {
    const ipam = slowIpam(tempDir().path, 600);
    const agent = await startAgent(host.path, tmp.path);
    try {
      const conf = macvlanConf(host.master, { type: ipam.type });
      const opts = (id: string, pod: { path: string }) => ({
        id,
        netns: pod.path,
        socket: agent.socket,
        hostNetns: host.path,
        path: [ipam.dir, ...CNI_PATH],
      });
      const addA = viaShim('ADD', opts('ser-a', pods[0]!), conf);
      await new Promise((r) => setTimeout(r, 150));
      const delA = viaShim('DEL', opts('ser-a', pods[0]!), conf);
      const addB = viaShim('ADD', opts('ser-b', pods[1]!), conf);
      const [ra, rd, rb] = await Promise.all([addA, delA, addB]);
      assert.equal(ra.code, 0, ra.stdout);
      assert.equal(rd.code, 0, rd.stdout);
      assert.equal(rb.code, 0, rb.stdout);
      const ev = ipam.events();
      const a = span(ev, 'ADD', 'ser-a');
      const d = span(ev, 'DEL', 'ser-a');
      const b = span(ev, 'ADD', 'ser-b');
      assert.ok(d.start >= a.end, `DEL of ser-a started ${a.end - d.start} ms before its ADD ended`);
      assert.ok(b.start < a.end, 'ADD of another container ran alongside');
      // The DEL ran last, so the container is gone.
      assert.deepEqual(links(pods[0]!.name), ['lo']);
      await viaShim('DEL', opts('ser-b', pods[1]!), conf);
    } finally {
      assert.equal(await agent.stop(), 0);
    }
  });

  it('applies back-pressure at the connection limit: waits, retries "busy", serves everyone', async () => {
    const ipam = slowIpam(tempDir().path, 300);
    const agent = await startAgent(host.path, tmp.path, ['--max-connections', '1', '--max-queue', '1']);
    try {
      const conf = macvlanConf(host.master, { type: ipam.type });
      const ids = pods.map((_, i) => `bp-${i}`);
      const t0 = Date.now();
      const runs = await Promise.all(
        pods.map((pod, i) =>
          viaShim(
            'ADD',
            {
              id: ids[i]!,
              netns: pod.path,
              socket: agent.socket,
              hostNetns: host.path,
              path: [ipam.dir, ...CNI_PATH],
            },
            conf,
          ),
        ),
      );
      const wall = Date.now() - t0;
      for (const r of runs) assert.equal(r.code, 0, r.stdout);
      const adds = ipam.events().filter((e) => e.command === 'ADD');
      // With one slot, no two IPAM calls overlap: each start comes after the previous end.
      const spans = ids.map((id) => span(adds, 'ADD', id)).sort((x, y) => x.start - y.start);
      for (let i = 1; i < spans.length; i++)
        assert.ok(spans[i]!.start >= spans[i - 1]!.end, 'one request at a time');
      assert.ok(wall >= 4 * 300, `4 requests of 300 ms through one slot took ${wall} ms`);
      const m = await agent.http('/metrics');
      assert.ok(metric(m.body, 'trunkline_agent_busy_total') >= 1, 'some callers were told to come back');
      assert.equal(
        metric(m.body, 'trunkline_agent_requests_total', {
          type: 'trunkline-macvlan',
          command: 'ADD',
          result: 'ok',
        }),
        4,
      );
      for (const [i, pod] of pods.entries()) {
        await viaShim(
          'DEL',
          {
            id: ids[i]!,
            netns: pod.path,
            socket: agent.socket,
            hostNetns: host.path,
            path: [ipam.dir, ...CNI_PATH],
          },
          conf,
        );
      }
    } finally {
      assert.equal(await agent.stop(), 0);
    }
  });

  it('turns an agent that does not answer in time into CNI error 11', async () => {
    const ipam = slowIpam(tempDir().path, 3000);
    const agent = await startAgent(host.path, tmp.path);
    try {
      const conf = macvlanConf(host.master, { type: ipam.type });
      const t0 = Date.now();
      const r = await viaShim(
        'ADD',
        {
          id: 'slow-1',
          netns: pods[2]!.path,
          socket: agent.socket,
          hostNetns: host.path,
          path: [ipam.dir, ...CNI_PATH],
          extraEnv: { TRUNKLINE_SHIM_TIMEOUT_MS: '500' },
        },
        conf,
      );
      const took = Date.now() - t0;
      assert.notEqual(r.code, 0);
      assert.equal(r.json?.['code'], 11, r.stdout);
      assert.equal(r.json?.['cniVersion'], '1.0.0');
      assert.ok(took < 2500, `the shim gave up after ${took} ms`);
    } finally {
      assert.equal(await agent.stop(), 0);
      // The agent finished the ADD it had accepted; undo it.
      await viaShim(
        'DEL',
        {
          id: 'slow-1',
          netns: pods[2]!.path,
          socket: '/nonexistent',
          hostNetns: host.path,
          path: [ipam.dir, ...CNI_PATH],
        },
        macvlanConf(host.master, { type: ipam.type }),
      );
    }
  });

  it('stops gracefully: an in-flight ADD completes, later calls fall back to the bundled plugin', async () => {
    const ipam = slowIpam(tempDir().path, 800);
    const agent = await startAgent(host.path, tmp.path);
    const conf = macvlanConf(host.master, { type: ipam.type });
    const opts = (id: string, pod: { path: string }) => ({
      id,
      netns: pod.path,
      socket: agent.socket,
      hostNetns: host.path,
      path: [ipam.dir, ...CNI_PATH],
    });
    const inflight = viaShim('ADD', opts('gs-1', pods[3]!), conf);
    for (let i = 0; i < 100 && !ipam.events().some((e) => e.id === 'gs-1'); i++) {
      await new Promise((r) => setTimeout(r, 20));
    }
    agent.child.kill('SIGTERM');
    const r = await inflight;
    assert.equal(r.code, 0, r.stdout);
    assert.deepEqual(links(pods[3]!.name).sort(), ['eth0', 'lo']);
    assert.equal(await agent.exited, 0);
    assert.ok(!existsSync(agent.socket), 'the socket is gone, so shims fall back');
    const stopping = agent.logs().find((l) => l.includes('agent stopped'));
    assert.match(stopping ?? '', /"drained":true/);
    const del = await viaShim('DEL', opts('gs-1', pods[3]!), conf);
    assert.equal(del.code, 0, del.stdout);
    assert.deepEqual(links(pods[3]!.name), ['lo']);
  });
});
