// The agent over its socket, through the C shim, in a namespace scene: ADD/CHECK/DEL served in-process,
// the fallback to the bundled plugin when no agent answers, /metrics and health, and what the agent
// answers to requests it does not serve.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { callAgent } from '../../src/agent/client.js';
import { ipj, links } from '../helpers/netns.js';
import { agentScene, CNI_PATH, macvlanConf, metric, viaShim } from './helpers.js';

describe('agent over its socket', () => {
  const s = agentScene('ta');
  const hostLocal = () => ({
    type: 'host-local',
    dataDir: join(s.tmp.path, 'hl'),
    ranges: [[{ subnet: '10.66.0.0/24', gateway: '10.66.0.1' }]],
  });

  const call = (command: string, id: string, conf: object, socket = s.agent.socket) =>
    viaShim(command, { id, netns: s.pod.path, socket, hostNetns: s.host.path, path: CNI_PATH }, conf);

  it('listens on a socket only root can use', () => {
    assert.equal(statSync(s.agent.socket).mode & 0o777, 0o600);
  });

  it('serves ADD, CHECK and DEL in-process (the agent logs each request)', async () => {
    const conf = macvlanConf(s.host.master, hostLocal());
    const add = await call('ADD', 'ctr-a1', conf);
    assert.equal(add.code, 0, add.stdout + add.stderr);
    const ips = add.json?.['ips'] as { address: string }[];
    assert.match(ips[0]!.address, /^10\.66\.0\.\d+\/24$/);
    const eth0 = ipj<{ addr_info: { local: string }[]; linkinfo?: { info_kind: string } }[]>(s.pod.name, [
      '-d',
      'addr',
      'show',
      'eth0',
    ]);
    assert.equal(eth0[0]?.linkinfo?.info_kind, 'macvlan');
    assert.ok(eth0[0]?.addr_info.some((a) => `${a.local}/24` === ips[0]!.address));

    const check = await call('CHECK', 'ctr-a1', { ...conf, prevResult: add.json });
    assert.equal(check.code, 0, check.stdout);
    const del = await call('DEL', 'ctr-a1', conf);
    assert.equal(del.code, 0, del.stdout);
    assert.deepEqual(links(s.pod.name), ['lo']);

    const served = s.agent
      .logs()
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .filter((l) => l['msg'] === 'cni request' && l['containerID'] === 'ctr-a1')
      .map((l) => l['command']);
    assert.deepEqual(served, ['ADD', 'CHECK', 'DEL']);
  });

  it('returns plugin errors with their code and exit status', async () => {
    const r = await call('ADD', 'ctr-a2', macvlanConf('ta-nosuchdev', hostLocal()));
    assert.notEqual(r.code, 0);
    assert.equal(typeof r.json?.['code'], 'number');
    assert.match(String(r.json?.['msg']), /ta-nosuchdev/);
    assert.deepEqual(links(s.pod.name), ['lo']);
  });

  it('counts requests, errors and latency in /metrics; /healthz and /readyz answer', async () => {
    const m = await s.agent.http('/metrics');
    assert.equal(m.status, 200);
    const ok = { command: 'ADD', result: 'ok', type: 'trunkline-macvlan' };
    assert.equal(
      metric(m.body, 'trunkline_agent_requests_total', {
        type: 'trunkline-macvlan',
        command: 'ADD',
        result: 'ok',
      }),
      1,
      m.body,
    );
    assert.equal(metric(m.body, 'trunkline_agent_requests_total', { ...ok, command: 'DEL' }), 1);
    assert.equal(metric(m.body, 'trunkline_agent_requests_total', { ...ok, result: 'error' }), 1);
    const code = /trunkline_agent_errors_total\{command="ADD",code="(\d+)"\} 1/.exec(m.body);
    assert.ok(code, 'one ADD error with its CNI code');
    assert.equal(metric(m.body, 'trunkline_agent_request_duration_seconds_count', { command: 'ADD' }), 2);
    assert.ok(metric(m.body, 'process_resident_memory_bytes') > 0);
    assert.equal((await s.agent.http('/healthz')).status, 200);
    const ready = await s.agent.http('/readyz');
    assert.equal(ready.status, 200);
    assert.match(ready.body, /trunkline-macvlan/);
    assert.equal((await s.agent.http('/nope')).status, 404);
  });

  it('runs trunkline-ipam in-process with a warm store and reports pool utilization', async () => {
    const manifestDir = join(s.tmp.path, 'manifests');
    mkdirSync(manifestDir, { recursive: true });
    writeFileSync(
      join(manifestDir, 'pool.yaml'),
      'apiVersion: spiderpool.spidernet.io/v2beta1\nkind: SpiderIPPool\nmetadata: {name: ta-pool}\n' +
        'spec: {subnet: 10.67.0.0/24, ips: [10.67.0.10-10.67.0.19], gateway: 10.67.0.1}\n',
    );
    const ipam = {
      type: 'trunkline-ipam',
      default_ipv4_ippool: ['ta-pool'],
      manifestDir,
      stateDir: join(s.tmp.path, 'state'),
      store: { path: join(s.tmp.path, 'ipam.db') },
    };
    const conf = macvlanConf(s.host.master, ipam, 'ta-ipam-net');
    const add = await call('ADD', 'ctr-i1', conf);
    assert.equal(add.code, 0, add.stdout);
    assert.equal((add.json?.['ips'] as { address: string }[] | undefined)?.[0]?.address, '10.67.0.10/24');
    let m = await s.agent.http('/metrics');
    assert.equal(metric(m.body, 'trunkline_ipam_pool_allocated_ips', { pool: 'ta-pool' }), 1, m.body);
    assert.equal(metric(m.body, 'trunkline_ipam_pool_usable_ips', { pool: 'ta-pool' }), 10);
    assert.equal(metric(m.body, 'trunkline_ipam_pool_utilization_ratio', { pool: 'ta-pool' }), 0.1);
    const del = await call('DEL', 'ctr-i1', conf);
    assert.equal(del.code, 0, del.stdout);
    m = await s.agent.http('/metrics');
    assert.equal(metric(m.body, 'trunkline_ipam_pool_allocated_ips', { pool: 'ta-pool' }), 0);
    assert.deepEqual(links(s.pod.name), ['lo']);
  });

  it('tells the caller to run its bundled plugin for types and versions it does not serve', async () => {
    const env = { CNI_COMMAND: 'VERSION' };
    const unknown = await callAgent(s.agent.socket, { type: 'ta-unknown', env, stdin: '{}' });
    assert.equal(unknown.status, 'fallback');
    const future = await callAgent(s.agent.socket, {
      type: 'trunkline-macvlan',
      env,
      stdin: '{}',
      version: 2,
    });
    assert.equal(future.status, 'fallback');
    const version = await callAgent(s.agent.socket, {
      type: 'trunkline-macvlan',
      env,
      stdin: '{"cniVersion":"1.0.0"}',
    });
    assert.equal(version.status, 'ok');
    assert.ok(
      (JSON.parse(version.stdout) as { supportedVersions: string[] }).supportedVersions.includes('1.1.0'),
    );
  });

  it('answers a connection that sends garbage with a CNI error (code 4), and counts it', async () => {
    const { connect } = await import('node:net');
    const reply = await new Promise<string>((resolve) => {
      const c = connect(s.agent.socket);
      let got = '';
      c.on('data', (d: Buffer) => {
        got += d.toString();
      });
      c.on('error', () => resolve(got));
      c.on('close', () => resolve(got));
      c.end('this is not json\n');
    });
    const [head, body] = reply.split('\n');
    assert.equal(JSON.parse(head!).exitCode, 1);
    assert.equal(JSON.parse(body!).code, 4);
    const m = await s.agent.http('/metrics');
    assert.equal(metric(m.body, 'trunkline_agent_protocol_errors_total'), 1);
  });

  it('falls back to the bundled Node plugin when no agent listens (missing socket)', async () => {
    const conf = macvlanConf(s.host.master, hostLocal());
    const missing = join(s.tmp.path, 'missing.sock');
    const add = await call('ADD', 'ctr-f1', conf, missing);
    assert.equal(add.code, 0, add.stdout + add.stderr);
    assert.deepEqual(links(s.pod.name).sort(), ['eth0', 'lo']);
    const del = await call('DEL', 'ctr-f1', conf, missing);
    assert.equal(del.code, 0, del.stdout);
    assert.deepEqual(links(s.pod.name), ['lo']);
    assert.ok(!s.agent.logs().some((l) => l.includes('ctr-f1')), 'the agent never saw the fallback calls');
  });

  it('falls back when the socket file is stale (connection refused)', async () => {
    // A socket file whose listener died without unlinking it: a killed agent leaves exactly that.
    const stale = join(s.tmp.path, 'stale.sock');
    const holder = spawn(process.execPath, [
      '-e',
      `require('net').createServer().listen(${JSON.stringify(stale)}, () => process.kill(process.pid, 'SIGKILL'))`,
    ]);
    await new Promise((r) => holder.once('exit', r));
    assert.ok(existsSync(stale));
    const conf = macvlanConf(s.host.master, hostLocal());
    const add = await call('ADD', 'ctr-f2', conf, stale);
    assert.equal(add.code, 0, add.stdout + add.stderr);
    const del = await call('DEL', 'ctr-f2', conf, stale);
    assert.equal(del.code, 0, del.stdout);
    assert.deepEqual(links(s.pod.name), ['lo']);
  });
});
