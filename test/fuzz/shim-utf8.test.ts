// The shim's stdout stays JSON whatever bytes its input holds (issue 16): an environment value that is
// not UTF-8, echoed into an error the shim prints itself, or a multi-byte character cut by the
// message's length limit, must not make the error object invalid UTF-8 (JSON text is UTF-8). Node
// cannot put raw bytes in a child's environment, so bash sets them from printf escapes (constants).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { DIST_CNI } from '../helpers/paths.js';

const SHIM = join(DIST_CNI, 'trunkline-macvlan');
const CONF = '{"cniVersion":"1.0.0","name":"fzu","type":"trunkline-macvlan","master":"lo"}';

/** Runs the shim with `vars` (values are printf formats) and returns its stdout, strictly decoded. */
function shim(vars: Record<string, string>): {
  code: number | null;
  text: string;
  json: Record<string, unknown>;
} {
  const exports = Object.keys(vars)
    .map((k, i) => `export ${k}="$(printf "$${i + 2}")";`)
    .join(' ');
  const r = spawnSync('bash', ['-c', `${exports} exec "$1"`, 'bash', SHIM, ...Object.values(vars)], {
    input: CONF,
    env: {
      PATH: process.env['PATH'] ?? '/usr/bin:/bin',
      CNI_COMMAND: 'ADD',
      CNI_CONTAINERID: 'fzutf8',
      CNI_NETNS: '/var/run/netns/fz-utf8-none',
      CNI_IFNAME: 'eth0',
      CNI_PATH: DIST_CNI,
      TRUNKLINE_AGENT_SOCK: '/nonexistent/fz-utf8.sock',
    },
  });
  // fatal: a byte sequence that is not UTF-8 throws instead of becoming U+FFFD.
  const text = new TextDecoder('utf-8', { fatal: true }).decode(r.stdout);
  return { code: r.status, text, json: JSON.parse(text) as Record<string, unknown> };
}

const CASES: { name: string; vars: Record<string, string>; code: number; msg: RegExp }[] = [
  {
    name: 'a timeout that is not UTF-8, echoed by the shim',
    vars: { TRUNKLINE_SHIM_TIMEOUT_MS: '\\377\\376\\300\\257\\355\\240\\200' },
    code: 4,
    msg: /^TRUNKLINE_SHIM_TIMEOUT_MS: expected an integer .* found \?{7}$/,
  },
  {
    name: 'a two-byte character cut by the echo limit (40 bytes)',
    vars: { TRUNKLINE_SHIM_TIMEOUT_MS: `${'1'.repeat(39)}\\303\\251` },
    code: 4,
    msg: /found 1{39}\?$/,
  },
  {
    name: 'a plugin directory that is not UTF-8, without the agent',
    vars: { TRUNKLINE_NO_AGENT: '1', TRUNKLINE_PLUGIN_DIR: '/nonexistent/fz\\377\\342\\202' },
    code: 11,
    msg: /no bundled plugin at \/nonexistent\/fz\?\?\?\//,
  },
  {
    name: 'valid multi-byte text passes unchanged',
    vars: { TRUNKLINE_SHIM_TIMEOUT_MS: '\\303\\251\\360\\237\\230\\200' },
    code: 4,
    msg: /found é😀$/,
  },
];

describe('the shim prints valid JSON for input that is not UTF-8', () => {
  for (const c of CASES) {
    it(c.name, () => {
      const r = shim(c.vars);
      assert.equal(r.code, 1, r.text);
      assert.equal(r.json['code'], c.code, r.text);
      assert.match(String(r.json['msg']), c.msg);
    });
  }
});
