import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CniError } from '../../src/cni/errors.js';
import type { Plugin } from '../../src/cni/plugin.js';
import { invoke } from '../../src/cni/skel.js';
import type { NetConf } from '../../src/cni/types.js';

const calls: string[] = [];
const plugin: Plugin<NetConf> = {
  name: 'fake',
  loadConf: (raw) => {
    if (raw['bad']) throw new CniError(7, 'bad config', 'field "bad"');
    return raw;
  },
  add: async (inv) => {
    calls.push(`add ${inv.prevResult ? 'prev' : 'noprev'}`);
    return { cniVersion: '1.1.0', ips: [{ address: '10.0.0.2/24', gateway: '10.0.0.1' }] };
  },
  del: async () => void calls.push('del'),
  check: async () => void calls.push('check'),
  status: async () => void calls.push('status'),
  gc: async () => void calls.push('gc'),
};
const env = (cmd: string) => ({
  CNI_COMMAND: cmd,
  CNI_CONTAINERID: 'c1',
  CNI_NETNS: '/var/run/netns/x',
  CNI_IFNAME: 'eth0',
  CNI_PATH: '/x',
});
const conf = (o: object) =>
  Buffer.from(JSON.stringify({ cniVersion: '1.0.0', name: 'n', type: 'fake', ...o }));

describe('skel invoke', () => {
  it('prints the result in the caller version', async () => {
    const o = await invoke(plugin, env('ADD'), conf({ cniVersion: '0.3.1' }));
    assert.equal(o.exitCode, 0);
    assert.deepEqual(JSON.parse(o.stdout), {
      cniVersion: '0.3.1',
      ips: [{ version: '4', address: '10.0.0.2/24', gateway: '10.0.0.1' }],
      dns: {},
    });
  });
  it('answers VERSION', async () => {
    const o = await invoke(plugin, { CNI_COMMAND: 'VERSION' }, Buffer.alloc(0));
    assert.deepEqual(JSON.parse(o.stdout), {
      cniVersion: '1.1.0',
      supportedVersions: ['0.1.0', '0.2.0', '0.3.0', '0.3.1', '0.4.0', '1.0.0', '1.1.0'],
    });
  });
  const errors: [string, Record<string, string>, Buffer, number][] = [
    ['invalid JSON', env('ADD'), Buffer.from('{nope'), 6],
    ['unsupported version', env('ADD'), conf({ cniVersion: '0.9.9' }), 1],
    ['CHECK on 0.3.1', env('CHECK'), conf({ cniVersion: '0.3.1' }), 1],
    ['STATUS on 1.0.0', { CNI_COMMAND: 'STATUS' }, conf({}), 1],
    ['GC on 0.4.0', { CNI_COMMAND: 'GC', CNI_PATH: '/x' }, conf({ cniVersion: '0.4.0' }), 1],
    ['bad config', env('ADD'), conf({ bad: true }), 7],
    ['bad env', { ...env('ADD'), CNI_IFNAME: 'x'.repeat(16) }, conf({}), 4],
    ['non-object config', env('ADD'), Buffer.from('[1]'), 6],
  ];
  for (const [name, e, stdin, code] of errors) {
    it(`reports ${name} as code ${code} on stdout with a non-zero exit`, async () => {
      const o = await invoke(plugin, e, stdin);
      assert.notEqual(o.exitCode, 0);
      const obj = JSON.parse(o.stdout) as { code: number; msg: string; cniVersion: string };
      assert.equal(obj.code, code);
      assert.ok(obj.msg.length > 0);
      assert.equal(typeof obj.cniVersion, 'string');
    });
  }
  it('carries details and the config version in errors', async () => {
    const o = await invoke(plugin, env('ADD'), conf({ cniVersion: '0.4.0', bad: true }));
    assert.deepEqual(JSON.parse(o.stdout), {
      cniVersion: '0.4.0',
      code: 7,
      msg: 'bad config',
      details: 'field "bad"',
    });
  });
  it('decodes prevResult and runs the other commands', async () => {
    calls.length = 0;
    const prev = { cniVersion: '1.1.0', ips: [{ address: '10.0.0.2/24' }] };
    assert.equal(
      (await invoke(plugin, env('ADD'), conf({ cniVersion: '1.1.0', prevResult: prev }))).exitCode,
      0,
    );
    assert.equal((await invoke(plugin, env('DEL'), conf({}))).stdout, '');
    assert.equal((await invoke(plugin, env('CHECK'), conf({ prevResult: prev }))).exitCode, 0);
    assert.equal(
      (await invoke(plugin, { CNI_COMMAND: 'STATUS' }, conf({ cniVersion: '1.1.0' }))).exitCode,
      0,
    );
    assert.equal(
      (await invoke(plugin, { CNI_COMMAND: 'GC', CNI_PATH: '/x' }, conf({ cniVersion: '1.1.0' }))).exitCode,
      0,
    );
    assert.deepEqual(calls, ['add prev', 'del', 'check', 'status', 'gc']);
  });
});
