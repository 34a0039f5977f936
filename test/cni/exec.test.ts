// Delegation through real executables: the reference host-local IPAM and small scripts.
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CniError } from '../../src/cni/errors.js';
import { execPlugin } from '../../src/cni/exec.js';
import type { Plugin } from '../../src/cni/plugin.js';
import { decodeResult } from '../../src/cni/version.js';

const REF = '/usr/lib/cni';
let dir: string;

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'tl-exec-'));
  const script = (name: string, body: string) => {
    const p = join(dir, name);
    writeFileSync(p, `#!/bin/sh\n${body}\n`);
    chmodSync(p, 0o755);
  };
  script('slow', 'sleep 5');
  script('fails', 'echo \'{"cniVersion":"1.0.0","code":11,"msg":"busy","details":"later"}\'; exit 1');
  script('garbage', 'echo not-json; exit 3');
  script(
    'echoenv',
    'cat >/dev/null; printf \'{"cniVersion":"1.0.0","ips":[{"address":"10.9.9.9/32"}],"dns":{"domain":"%s-%s-%s"}}\' "$CNI_COMMAND" "$CNI_IFNAME" "$CNI_CONTAINERID"',
  );
});
after(() => rmSync(dir, { recursive: true, force: true }));

const ipamConf = (dataDir: string) =>
  JSON.stringify({
    cniVersion: '1.0.0',
    name: 'exec-test',
    type: 'macvlan',
    ipam: { type: 'host-local', dataDir, ranges: [[{ subnet: '10.77.0.0/24' }]] },
  });

describe('execPlugin', () => {
  it('runs the reference host-local ADD and DEL with the environment given', async () => {
    const data = join(dir, 'hl');
    const env = {
      command: 'ADD' as const,
      containerId: 'c1',
      netns: '/var/run/netns/none',
      ifname: 'eth0',
      path: [REF],
    };
    const out = decodeResult(await execPlugin('host-local', env, ipamConf(data)));
    assert.deepEqual(
      out.ips?.map((i) => [i.address, i.gateway]),
      [['10.77.0.2/24', '10.77.0.1']],
    );
    assert.ok(
      readdirSync(join(data, 'exec-test')).includes('10.77.0.2'),
      'host-local recorded the allocation',
    );
    assert.equal(await execPlugin('host-local', { ...env, command: 'DEL' }, ipamConf(data)), undefined);
    assert.ok(!readdirSync(join(data, 'exec-test')).includes('10.77.0.2'), 'DEL released it');
  });
  it('passes CNI_* variables', async () => {
    const out = await execPlugin(
      'echoenv',
      { command: 'CHECK', containerId: 'cid', ifname: 'net1', path: [dir] },
      '{}',
    );
    assert.equal((out as { dns: { domain: string } }).dns.domain, 'CHECK-net1-cid');
  });
  it('turns an error object into a CniError with its code', async () => {
    await assert.rejects(
      execPlugin('fails', { command: 'ADD', path: [dir] }, '{}'),
      (e: unknown) => e instanceof CniError && e.code === 11 && e.message === 'busy' && e.details === 'later',
    );
  });
  it('reports a plugin that printed no error object', async () => {
    await assert.rejects(
      execPlugin('garbage', { command: 'ADD', path: [dir] }, '{}'),
      (e: unknown) => e instanceof CniError && e.code === 999 && /exit status 3/.test(e.message),
    );
  });
  it('kills a plugin that overruns its timeout (code 11)', async () => {
    const t0 = Date.now();
    await assert.rejects(
      execPlugin('slow', { command: 'ADD', path: [dir] }, '{}', { timeoutMs: 200 }),
      (e: unknown) => e instanceof CniError && e.code === 11,
    );
    assert.ok(Date.now() - t0 < 3000);
  });
  it('fails clearly when the plugin is not on CNI_PATH', async () => {
    await assert.rejects(
      execPlugin('nosuch', { command: 'ADD', path: [dir, REF] }, '{}'),
      /failed to find plugin "nosuch"/,
    );
  });
  it("prefers the caller's registry over the path, and only for that caller", async () => {
    const inproc: Plugin = {
      name: 'inproc',
      loadConf: (raw) => raw,
      add: async () => ({ cniVersion: '1.0.0', ips: [{ address: '10.1.1.1/32' }] }),
      del: async () => {},
      check: async () => {},
      status: async () => {},
      gc: async () => {},
    };
    const registry = new Map([['echoenv', inproc]]);
    const env = { command: 'ADD' as const, containerId: 'c', netns: '/x', ifname: 'eth0', path: [dir] };
    const conf = JSON.stringify({ cniVersion: '1.0.0', name: 'n', type: 'echoenv' });
    const [mine, other] = await Promise.all([
      execPlugin('echoenv', env, conf, { registry }),
      execPlugin('echoenv', env, conf),
    ]);
    assert.equal(decodeResult(mine).ips?.[0]?.address, '10.1.1.1/32');
    // A caller without the registry (another agent, another test) executes the file on the path.
    assert.equal(decodeResult(other).ips?.[0]?.address, '10.9.9.9/32');
  });
});
