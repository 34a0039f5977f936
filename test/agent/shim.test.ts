// The C shim on its own: VERSION answered without Node or the agent (the same text as the plugins),
// the deadline on the no-agent path (the bundled plugin and what it started are killed → code 11),
// and its numeric knob validated.
import assert from 'node:assert/strict';
import { existsSync, linkSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runCni } from '../helpers/cni.js';
import { DIST, DIST_CNI } from '../helpers/paths.js';

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
      const bundled = await runCni(join(DIST, 'plugins', `${type}.js`), call, {
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
