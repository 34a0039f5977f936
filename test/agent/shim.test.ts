// The C shim on its own: VERSION answered without Node or the agent (the same text as the plugins),
// the deadline on the no-agent path (the bundled plugin and what it started are killed → code 11),
// the relay of the plugin's output and its early report of the exit code (TRUNKLINE_DONE_FD),
// and its numeric knob validated.
import assert from 'node:assert/strict';
import { existsSync, linkSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runCni } from '../helpers/cni.js';
import { DIST_CNI, ROOT } from '../helpers/paths.js';

const TYPES = ['trunkline', 'trunkline-coordinator', 'trunkline-ipam', 'trunkline-macvlan'];
let dir: string;
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'tl-shim-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

function alive(pid: number): boolean {
  try {
    return !/^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, 'utf8'));
  } catch {
    return false;
  }
}

describe('C shim', () => {
  for (const type of TYPES) {
    it(`${type}: VERSION is answered by the shim itself, as the plugin answers it`, async () => {
      const call = { command: 'VERSION', path: ['/nonexistent'] };
      // No agent, and no Node to fall back to: only the shim can answer.
      const shim = await runCni(
        join(DIST_CNI, type),
        {
          ...call,
          extraEnv: { TRUNKLINE_NO_AGENT: '1', TRUNKLINE_NODE: '/nonexistent/node' },
        },
        { cniVersion: '1.0.0' },
      );
      assert.equal(shim.code, 0, shim.stdout);
      // The shipped build's bundle: its answer does not depend on how the native parts were built.
      const bundled = await runCni(join(ROOT, 'dist', 'plugins', `${type}.js`), call, {
        cniVersion: '1.0.0',
      });
      assert.equal(bundled.code, 0);
      assert.equal(shim.stdout, bundled.stdout);
    });
  }

  it('without the agent, a hung plugin is killed with what it started at the deadline → code 11', async () => {
    const type = 'tl-hang';
    const pidFile = join(dir, 'grandchild.pid');
    writeFileSync(
      join(dir, `${type}.js`),
      `const { spawn } = require('child_process');
const c = spawn('sleep', ['300'], { stdio: 'ignore' });
require('fs').writeFileSync(${JSON.stringify(pidFile)}, String(c.pid));
setInterval(() => {}, 1000);
`,
    );
    const shim = join(dir, type);
    linkSync(join(DIST_CNI, 'trunkline-macvlan'), shim);
    const r = await runCni(
      shim,
      {
        command: 'ADD',
        containerId: 'h1',
        netns: '/proc/self/ns/net',
        ifname: 'eth0',
        path: ['/nonexistent'],
        extraEnv: { TRUNKLINE_NO_AGENT: '1', TRUNKLINE_PLUGIN_DIR: dir, TRUNKLINE_SHIM_TIMEOUT_MS: '1500' },
      },
      { cniVersion: '1.0.0', name: 'n', type },
    );
    assert.equal(r.code, 1);
    assert.equal(r.json?.['code'], 11, r.stdout);
    assert.match(String(r.json?.['msg']), /did not finish within 1500 ms/);
    assert.ok(existsSync(pidFile));
    const pid = Number(readFileSync(pidFile, 'utf8'));
    // SIGKILL went to the whole group before the shim answered; the kernel reaps the orphan shortly.
    for (let i = 0; i < 200 && alive(pid); i++) await new Promise((res) => setTimeout(res, 10));
    assert.equal(alive(pid), false, `grandchild ${pid} still running`);
  });

  // The shim relays the plugin's stdout and answers when the plugin reports its exit code on
  // TRUNKLINE_DONE_FD, without waiting for Node's teardown; the reporter, its work done, dies with it.
  const script = (name: string, body: string) => {
    writeFileSync(join(dir, `${name}.js`), body);
    const shim = join(dir, name);
    linkSync(join(DIST_CNI, 'trunkline-macvlan'), shim);
    return shim;
  };
  const call = (shim: string) =>
    runCni(
      shim,
      {
        command: 'ADD',
        containerId: 'd1',
        netns: '/proc/self/ns/net',
        ifname: 'eth0',
        path: ['/nonexistent'],
        extraEnv: { TRUNKLINE_NO_AGENT: '1', TRUNKLINE_PLUGIN_DIR: dir, TRUNKLINE_SHIM_TIMEOUT_MS: '20000' },
      },
      { cniVersion: '1.0.0', name: 'n', type: 'x' },
    );

  it('answers with the output and code the plugin reports, not waiting for it to exit', async () => {
    const pidFile = join(dir, 'reporter.pid');
    const shim = script(
      'tl-report',
      `const fs = require('fs');
fs.writeFileSync(${JSON.stringify(pidFile)}, String(process.pid));
const big = 'x'.repeat(1 << 20) + '\\n'; // more than a pipe holds: the shim must read while it writes
process.stdout.write(big, () => {
  fs.writeSync(Number(process.env.TRUNKLINE_DONE_FD), Uint8Array.of(3));
  setInterval(() => {}, 1000); // a teardown that never ends
});
`,
    );
    const r = await call(shim);
    assert.equal(r.code, 3, r.stdout.slice(0, 200));
    assert.equal(r.stdout, `${'x'.repeat(1 << 20)}\n`);
    const pid = Number(readFileSync(pidFile, 'utf8'));
    for (let i = 0; i < 200 && alive(pid); i++) await new Promise((res) => setTimeout(res, 10));
    assert.equal(alive(pid), false, `reporter ${pid} outlived the shim`);
  });

  it('a plugin that exits without reporting is relayed whole, with its exit status', async () => {
    const shim = script(
      'tl-silent',
      `process.stdout.write('y'.repeat(200000), () => { process.exitCode = 5; });\n`,
    );
    const r = await call(shim);
    assert.equal(r.code, 5);
    assert.equal(r.stdout, 'y'.repeat(200000));
  });

  for (const bad of ['99999999999999999999', '-5', '0', '12abc', '86400001']) {
    it(`TRUNKLINE_SHIM_TIMEOUT_MS=${bad} is refused with code 4`, async () => {
      const r = await runCni(
        join(DIST_CNI, 'trunkline-macvlan'),
        {
          command: 'ADD',
          containerId: 'k1',
          netns: '/proc/self/ns/net',
          ifname: 'eth0',
          path: ['/nonexistent'],
          extraEnv: { TRUNKLINE_SHIM_TIMEOUT_MS: bad, TRUNKLINE_AGENT_SOCK: '/nonexistent/agent.sock' },
        },
        { cniVersion: '1.0.0', name: 'n', type: 'trunkline-macvlan' },
      );
      assert.equal(r.json?.['code'], 4, r.stdout);
      assert.match(String(r.json?.['msg']), /TRUNKLINE_SHIM_TIMEOUT_MS/);
    });
  }
});
