// The agent's pieces without a socket: framing, request validation, the gate, per-key serialization,
// the Prometheus rendering.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Gate } from '../../src/agent/gate.js';
import { AgentMetrics } from '../../src/agent/metrics.js';
import {
  encodeReply,
  encodeRequest,
  FrameReader,
  MAX_HEADER_BYTES,
  ProtocolError,
  toReply,
  toRequest,
} from '../../src/agent/protocol.js';
import { KeyedSerializer } from '../../src/agent/serial.js';

describe('agent protocol', () => {
  it('reads a request frame split at any byte, body byte for byte', () => {
    const stdin = Buffer.from('{"cniVersion":"1.0.0","name":"n\\u00e9","x":"\\n"}\u00ff');
    const frame = encodeRequest({ type: 't', command: 'ADD', env: { CNI_COMMAND: 'ADD' }, stdin });
    for (let cut = 1; cut < frame.length; cut += 7) {
      const r = new FrameReader('stdinLength');
      assert.equal(r.push(frame.subarray(0, cut)), undefined);
      const f = r.push(frame.subarray(cut));
      assert.ok(f);
      assert.deepEqual(f.body, stdin);
      const req = toRequest(f.header, f.body);
      assert.ok(!('unsupported' in req));
      assert.equal(req.type, 't');
      assert.equal(req.command, 'ADD');
    }
  });

  it('keeps only CNI_ variables and rejects malformed headers', () => {
    const req = toRequest(
      { version: 1, type: 't', env: { CNI_COMMAND: 'DEL', NODE_OPTIONS: '--inspect' } },
      Buffer.alloc(0),
    );
    assert.ok(!('unsupported' in req));
    assert.deepEqual(req.env, { CNI_COMMAND: 'DEL' });
    assert.equal(req.command, 'DEL');
    assert.deepEqual(toRequest({ version: 2, type: 't', env: {} }, Buffer.alloc(0)), {
      unsupported: 'protocol version 2, this agent speaks 1',
    });
    assert.throws(() => toRequest({ version: 1, type: '', env: {} }, Buffer.alloc(0)), ProtocolError);
    assert.throws(
      () => toRequest({ version: 1, type: 't', env: { CNI_X: 1 } }, Buffer.alloc(0)),
      ProtocolError,
    );
    assert.throws(() => new FrameReader('stdinLength').push(Buffer.from('[1]\n')), ProtocolError);
    assert.throws(
      () => new FrameReader('stdinLength').push(Buffer.from('{"stdinLength":-1}\n')),
      ProtocolError,
    );
    assert.throws(
      () => new FrameReader('stdinLength').push(Buffer.alloc(MAX_HEADER_BYTES + 1, 0x20)),
      ProtocolError,
    );
  });

  it('encodes replies the shim can parse (status, exit code, exact stdout length)', () => {
    const stdout = '{"msg":"é \\"status\\":\\"ok\\""}\n';
    const frame = encodeReply({ status: 'ok', exitCode: 1, stdout });
    const nl = frame.indexOf(0x0a);
    const head = frame.subarray(0, nl).toString();
    assert.match(head, /"status":"ok"/);
    assert.match(head, /"exitCode":1/);
    assert.match(head, new RegExp(`"stdoutLength":${Buffer.byteLength(stdout)}`));
    const f = new FrameReader('stdoutLength').push(frame);
    assert.ok(f);
    assert.deepEqual(toReply(f.header, f.body), { status: 'ok', exitCode: 1, stdout });
  });
});

describe('gate', () => {
  it('admits up to the limit, queues up to the queue limit, refuses beyond', async () => {
    const g = new Gate(2, 1);
    const a = await g.enter();
    const b = await g.enter();
    assert.ok(a && b);
    const waiting = g.enter();
    assert.ok(waiting);
    assert.equal(g.enter(), undefined, 'queue full');
    assert.equal(g.inFlight, 2);
    assert.equal(g.queued, 1);
    a!();
    a!(); // releasing twice frees one slot only
    const c = await waiting;
    assert.equal(g.inFlight, 2);
    assert.equal(g.queued, 0);
    b!();
    c();
    assert.equal(g.inFlight, 0);
  });
});

describe('per-key serialization', () => {
  it('runs one key in order, other keys concurrently, and forgets idle keys', async () => {
    const s = new KeyedSerializer();
    const log: string[] = [];
    const step = (name: string, ms: number) => async () => {
      log.push(`start ${name}`);
      await new Promise((r) => setTimeout(r, ms));
      log.push(`end ${name}`);
    };
    await Promise.all([
      s.run('a', step('a1', 30)),
      s
        .run('a', async () => {
          await step('a2', 1)();
          throw new Error('a2 fails');
        })
        .catch(() => undefined),
      s.run('a', step('a3', 1)),
      s.run('b', step('b1', 5)),
    ]);
    assert.deepEqual(
      log.filter((l) => / a\d/.test(l)),
      ['start a1', 'end a1', 'start a2', 'end a2', 'start a3', 'end a3'],
    );
    assert.ok(log.indexOf('end b1') < log.indexOf('end a1'), 'b did not wait for a');
    await new Promise((r) => setImmediate(r));
    assert.equal(s.keys, 0);
  });
});

describe('metrics rendering', () => {
  it('renders counters, gauges, histograms and collectors in the text format', async () => {
    const m = new AgentMetrics();
    m.requests.add({ type: 't', command: 'ADD', result: 'ok' }, 1);
    m.requests.add({ type: 't', command: 'ADD', result: 'ok' }, 1);
    m.latency.observe({ command: 'ADD' }, 0.003);
    m.latency.observe({ command: 'ADD' }, 0.2);
    m.addCollector(() => [
      { name: 'x_total', help: 'h', type: 'counter', samples: [{ labels: { p: 'a"b' }, value: 3 }] },
    ]);
    m.addCollector(() => {
      throw new Error('broken collector');
    });
    const text = await m.render();
    assert.match(text, /^trunkline_agent_requests_total\{type="t",command="ADD",result="ok"\} 2$/m);
    assert.match(text, /^trunkline_agent_request_duration_seconds_bucket\{command="ADD",le="0.005"\} 1$/m);
    assert.match(text, /^trunkline_agent_request_duration_seconds_bucket\{command="ADD",le="\+Inf"\} 2$/m);
    assert.match(text, /^trunkline_agent_request_duration_seconds_count\{command="ADD"\} 2$/m);
    assert.match(text, /^# TYPE trunkline_agent_request_duration_seconds histogram$/m);
    assert.match(text, /^x_total\{p="a\\"b"\} 3$/m);
  });
});
