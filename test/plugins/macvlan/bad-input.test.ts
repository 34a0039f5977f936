// Bad input: each gets the spec's code on stdout, a non-zero exit, and leaves nothing behind.
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type CniCall, runCni } from '../../helpers/cni.js';
import { ip, links, Scene } from '../../helpers/netns.js';
import { DIST_CNI, REF_CNI } from '../../helpers/paths.js';

const PLUGIN = join(DIST_CNI, 'trunkline-macvlan');
const scene = new Scene('tlb');
let host: ReturnType<Scene['host']>;
let pod: { name: string; path: string };
let dataDir: string;

before(() => {
  host = scene.host('h', 1500);
  pod = scene.netns('p');
  dataDir = mkdtempSync(join(tmpdir(), 'tl-bad-'));
});
after(() => {
  scene.cleanup();
  rmSync(dataDir, { recursive: true, force: true });
});

const good = () => ({
  cniVersion: '1.0.0',
  name: 'bad-test',
  type: 'trunkline-macvlan',
  master: 'uplink0',
  ipam: { type: 'host-local', dataDir, ranges: [[{ subnet: '10.89.0.0/24' }]] },
});
const call = (o: Partial<CniCall> = {}): CniCall => ({
  command: 'ADD',
  containerId: 'bad1',
  netns: pod.path,
  ifname: 'eth0',
  path: [DIST_CNI, REF_CNI],
  ...o,
});

type Case = [name: string, code: number, stdin: string | object, call: Partial<CniCall>];
const cases: Case[] = [
  ['invalid JSON', 6, '{"cniVersion":', {}],
  ['unknown mode', 7, { ...good(), mode: 'turbo' }, {}],
  ['MTU above the master', 7, { ...good(), mtu: 9000 }, {}],
  ['negative MTU', 7, { ...good(), mtu: -1 }, {}],
  ['missing master', 7, { ...good(), master: 'nosuch0' }, {}],
  ['invalid MAC', 7, { ...good(), mac: 'zz:00' }, {}],
  ['nonexistent netns path', 3, good(), { netns: '/var/run/netns/tl-does-not-exist' }],
  ['netns path that is a regular file', 3, good(), { netns: '/etc/hostname' }],
  ['ifname of 16 chars', 4, good(), { ifname: 'abcdefghijklmnop' }],
  ['missing CNI_CONTAINERID', 4, good(), { containerId: undefined as unknown as string }],
  ['unknown CNI_ARGS key without IgnoreUnknown', 4, good(), { args: 'K8S_POD_NAME=x' }],
  ['unsupported cniVersion', 1, { ...good(), cniVersion: '0.9.0' }, {}],
  [
    'CHECK with cniVersion 0.3.1',
    1,
    { ...good(), cniVersion: '0.3.1', prevResult: { cniVersion: '0.3.1' } },
    { command: 'CHECK' },
  ],
  ['unknown command', 4, good(), { command: 'FROB' }],
];

describe('macvlan bad input', () => {
  for (const [name, code, stdin, c] of cases) {
    it(`${name} → code ${code}, nothing left behind`, async () => {
      const cc = call(c);
      if (c.containerId === undefined && 'containerId' in c) delete cc.containerId;
      const r = await runCni(PLUGIN, cc, stdin, host.path);
      assert.notEqual(r.code, 0);
      assert.equal(r.json?.['code'], code, r.stdout);
      assert.equal(typeof r.json?.['msg'], 'string');
      assert.deepEqual(links(pod.name), ['lo']);
      assert.deepEqual(links(host.name).sort(), ['lo', 'uplink0']);
      assert.deepEqual(
        readdirSync(dataDir).flatMap((d) => readdirSync(join(dataDir, d)).filter((f) => /^\d/.test(f))),
        [],
      );
    });
  }

  it('ADD of an ifname that already exists in the pod → code 4, the existing link untouched', async () => {
    const other = scene.netns('dup');
    ip(['-n', other.name, 'link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', 'peer0']);
    const r = await runCni(PLUGIN, call({ netns: other.path }), good(), host.path);
    assert.notEqual(r.code, 0);
    assert.equal(r.json?.['code'], 4, r.stdout);
    assert.deepEqual(links(other.name).sort(), ['eth0', 'lo', 'peer0']);
    assert.deepEqual(links(host.name).sort(), ['lo', 'uplink0']);
  });
});
