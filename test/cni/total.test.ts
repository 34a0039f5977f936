// Validation and error formatting are total over any JSON (issue 16, defect 5): a value nested
// thousands deep is a config error (7) from every plugin, never a stack overflow reported as 999;
// and the meta plugin answers a missing pod namespace with 3 (defect 6).
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { runCni } from '../helpers/cni.js';
import { DIST_CNI } from '../helpers/paths.js';

const TYPES = ['trunkline', 'trunkline-coordinator', 'trunkline-ipam', 'trunkline-macvlan'];
const nested = `${'['.repeat(5000)}"x"${']'.repeat(5000)}`;
const env = {
  containerId: 'deep1',
  netns: '/var/run/netns/tl-no-such-ns',
  ifname: 'eth0',
  path: ['/nonexistent'],
  extraEnv: { TRUNKLINE_NO_AGENT: '1' },
};

describe('total over any JSON', () => {
  for (const type of TYPES) {
    it(`${type}: an array nested 5000 deep in a string-list field → code 7`, async () => {
      const stdin = `{"cniVersion":"1.0.0","name":"deep","type":"${type}","master":"lo","dns":{"nameservers":${nested}},"ipam":{"type":"trunkline-ipam","routes":${nested}}}`;
      for (const command of ['ADD', 'DEL', 'CHECK']) {
        const r = await runCni(join(DIST_CNI, type), { ...env, command }, stdin);
        assert.equal(r.json?.['code'], 7, `${command}: ${r.stdout}`);
        assert.match(String(r.json?.['msg']), /nested 5\d{3} levels deep/);
      }
    });
  }

  it('the meta plugin answers a missing pod network namespace with code 3', async () => {
    const conf = {
      cniVersion: '1.0.0',
      name: 'meta',
      type: 'trunkline',
      delegates: [{ cniVersion: '1.0.0', name: 'd', type: 'trunkline-macvlan', master: 'lo' }],
      cniDir: '/nonexistent/cache',
    };
    const r = await runCni(join(DIST_CNI, 'trunkline'), { ...env, command: 'ADD' }, conf);
    assert.equal(r.json?.['code'], 3, r.stdout);
    assert.match(String(r.json?.['msg']), /tl-no-such-ns/);
  });
});
