// The shipped systemd units (deploy/systemd), run the way systemd would run them but with
// `systemd-socket-activate` (systemd is not PID 1 here): the socket exists before any agent, the first
// CNI call starts the agent on the inherited socket, and every later call is served by that same
// process — no plugin falls back to a Node process of its own.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readlinkSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runCni } from '../helpers/cni.js';
import { DIST_CNI, ROOT } from '../helpers/paths.js';
import { tierSkip } from '../helpers/tier.js';

const UNITS = join(ROOT, 'deploy', 'systemd');
const ACTIVATE = '/usr/bin/systemd-socket-activate';
let dir: string;
let activator: ChildProcess | undefined;
let stderr = '';

/** Values of `key=` in a unit file, in order. */
function unitValues(file: string, key: string): string[] {
  return readFileSync(join(UNITS, file), 'utf8')
    .split('\n')
    .filter((l) => l.startsWith(`${key}=`))
    .map((l) => l.slice(key.length + 1).trim());
}

const logs = () =>
  stderr
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as { msg: string; activated?: boolean; command?: string });

function nodeStarts(): number {
  const f = join(dir, 'node.log');
  return existsSync(f) ? readFileSync(f, 'utf8').split('\n').filter(Boolean).length : 0;
}

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'noagent-sd-'));
  mkdirSync(join(dir, 'manifests'));
  writeFileSync(
    join(dir, 'manifests', 'pool.yaml'),
    'apiVersion: spiderpool.spidernet.io/v2beta1\nkind: SpiderIPPool\nmetadata: {name: sd}\n' +
      'spec: {subnet: 10.78.0.0/16, ips: [10.78.0.10-10.78.0.40], gateway: 10.78.0.1, default: true}\n',
  );
  writeFileSync(
    join(dir, 'node'),
    `#!/bin/sh\necho "$1" >> '${join(dir, 'node.log')}'\nexec '${process.execPath}' "$@"\n`,
    { mode: 0o755 },
  );
});
after(() => {
  if (activator?.exitCode === null) activator.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

const conf = () => ({
  cniVersion: '1.0.0',
  name: 'sd-net',
  type: 'x',
  ipam: {
    type: 'trunkline-ipam',
    manifestDir: join(dir, 'manifests'),
    stateDir: join(dir, 'state'),
    store: { path: join(dir, 'ipam.db') },
  },
});

describe('systemd socket activation (deploy/systemd units)', {
  skip: tierSkip(
    'systemd',
    existsSync(ACTIVATE) ? undefined : `${ACTIVATE} missing (Debian package systemd)`,
  ),
}, () => {
  it('the first call starts the agent once; later calls are served by it', async () => {
    const [listen] = unitValues('trunkline-agent.socket', 'ListenStream');
    const [exec] = unitValues('trunkline-agent.service', 'ExecStart');
    assert.equal(listen, '/run/trunkline/agent.sock');
    assert.ok(exec?.includes(`--socket ${listen}`), 'the service names the socket the unit binds');
    // The units' paths, moved into the test's directory and the built tree.
    const sock = join(dir, 'agent.sock');
    const argv = exec!
      .replace('/opt/cni/agent/agent.js', join(ROOT, 'dist', 'agent', 'agent.js'))
      .replace(listen, sock)
      .split(/\s+/);
    const envs = unitValues('trunkline-agent.service', 'Environment').flatMap((e) => ['-E', e]);
    activator = spawn(ACTIVATE, ['-l', sock, ...envs, ...argv], { stdio: ['ignore', 'ignore', 'pipe'] });
    activator.stderr?.on('data', (c: Buffer) => {
      stderr += c.toString();
    });
    const pid = activator.pid!;
    for (let i = 0; i < 200 && !existsSync(sock); i++) await new Promise((r) => setTimeout(r, 25));
    assert.ok(existsSync(sock), `socket ${sock} was not bound: ${stderr}`);
    assert.match(
      readlinkSync(`/proc/${pid}/exe`),
      /systemd-socket-activate$/,
      'no agent before the first call',
    );

    const call = (command: string, id: string) => ({
      command,
      containerId: id,
      netns: '/proc/self/ns/net',
      ifname: 'eth0',
      path: [DIST_CNI],
      extraEnv: { TRUNKLINE_AGENT_SOCK: sock, TRUNKLINE_NODE: join(dir, 'node') },
    });
    const ips: string[] = [];
    for (const id of ['sd1', 'sd2', 'sd3']) {
      const r = await runCni(join(DIST_CNI, 'trunkline-ipam'), call('ADD', id), conf());
      assert.equal(r.code, 0, r.stdout + stderr);
      ips.push((r.json as { ips: { address: string }[] }).ips[0]!.address);
    }
    for (const id of ['sd1', 'sd2', 'sd3']) {
      const r = await runCni(join(DIST_CNI, 'trunkline-ipam'), call('DEL', id), conf());
      assert.equal(r.code, 0, r.stdout + stderr);
    }
    assert.equal(new Set(ips).size, 3, ips.join(', '));
    assert.equal(nodeStarts(), 0, 'no call fell back to a Node process of its own');
    // systemd-socket-activate execs the agent in place: the same process, now Node, served all six.
    assert.equal(readlinkSync(`/proc/${pid}/exe`), process.execPath);
    const ready = logs().filter((l) => l.msg === 'agent ready');
    assert.equal(ready.length, 1, stderr);
    assert.equal(ready[0]!.activated, true);
    assert.deepEqual(
      logs()
        .filter((l) => l.msg === 'cni request')
        .map((l) => l.command),
      ['ADD', 'ADD', 'ADD', 'DEL', 'DEL', 'DEL'],
    );
    const exited = new Promise<number | null>((r) => activator!.once('exit', (code) => r(code)));
    activator.kill('SIGTERM');
    assert.equal(await exited, 0);
  });
});
