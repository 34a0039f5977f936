// Without an agent, one CNI call from the runtime is one Node process: the shim's bundled plugin runs
// the delegates whose type CNI_PATH resolves to our own shim in-process (macvlan → trunkline-ipam;
// meta → macvlan → trunkline-ipam), and still executes whatever else the path names there (here a
// wrapper script), as libcni would.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runCni } from '../helpers/cni.js';
import { ipj, links, Scene } from '../helpers/netns.js';
import { DIST_CNI } from '../helpers/paths.js';
import { loggedLines } from './helpers.js';

const scene = new Scene('noag');
let dir: string;
let host: ReturnType<Scene['host']>;
let pod: { name: string; path: string };

/** Each Node start the shim makes appends one line to node.log. */
const nodeStarts = () => loggedLines(join(dir, 'node.log'));

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'noagent-'));
  host = scene.host();
  pod = scene.netns('p');
  mkdirSync(join(dir, 'manifests'));
  writeFileSync(
    join(dir, 'manifests', 'pool.yaml'),
    'apiVersion: spiderpool.spidernet.io/v2beta1\nkind: SpiderIPPool\nmetadata: {name: noag}\n' +
      'spec: {subnet: 10.77.0.0/16, ips: [10.77.0.10-10.77.0.20], gateway: 10.77.0.1}\n',
  );
  writeFileSync(
    join(dir, 'node'),
    `#!/bin/sh\necho "$1" >> '${join(dir, 'node.log')}'\nexec '${process.execPath}' "$@"\n`,
    { mode: 0o755 },
  );
  // A wrapper that libcni would execute: found first on the path, it must run as a process.
  mkdirSync(join(dir, 'wrap'));
  writeFileSync(
    join(dir, 'wrap', 'trunkline-ipam'),
    `#!/bin/sh\necho wrapper >> '${join(dir, 'node.log')}'\nexec '${join(DIST_CNI, 'trunkline-ipam')}'\n`,
    { mode: 0o755 },
  );
});
after(() => {
  scene.cleanup();
  rmSync(dir, { recursive: true, force: true });
});

const macvlan = (name: string) => ({
  cniVersion: '1.0.0',
  name,
  type: 'trunkline-macvlan',
  master: 'uplink0',
  mode: 'bridge',
  ipam: {
    type: 'trunkline-ipam',
    default_ipv4_ippool: ['noag'],
    manifestDir: join(dir, 'manifests'),
    stateDir: join(dir, 'state'),
    store: { path: join(dir, 'ipam.db') },
  },
});

const meta = () => ({
  cniVersion: '1.0.0',
  name: 'noag-meta',
  type: 'trunkline',
  binDir: DIST_CNI,
  cniDir: join(dir, 'cache'),
  confDir: join(dir, 'confd'),
  source: { type: 'local', manifestDir: join(dir, 'manifests'), stateDir: join(dir, 'state') },
  delegates: [macvlan('noag-net')],
});

function call(command: string, id: string, path = [DIST_CNI]) {
  return {
    command,
    containerId: id,
    netns: pod.path,
    ifname: 'eth0',
    path,
    extraEnv: { TRUNKLINE_NO_AGENT: '1', TRUNKLINE_NODE: join(dir, 'node') },
  };
}

const addrs = () =>
  ipj<{ ifname: string; addr_info: { family: string; local: string }[] }[]>(pod.name, ['addr'])
    .filter((l) => l.ifname !== 'lo')
    .flatMap((l) => l.addr_info.filter((a) => a.family === 'inet').map((a) => `${l.ifname} ${a.local}`));

async function pair(type: string, conf: object, id: string, path?: string[]) {
  const before = nodeStarts().length;
  const add = await runCni(join(DIST_CNI, type), call('ADD', id, path), conf, host.path);
  assert.equal(add.code, 0, add.stdout + add.stderr);
  const held = addrs();
  assert.equal(held.length, 1, held.join(', '));
  assert.match(held[0]!, /^eth0 10\.77\.0\.(1\d|20)$/);
  const addStarts = nodeStarts().slice(before);
  const del = await runCni(join(DIST_CNI, type), call('DEL', id, path), conf, host.path);
  assert.equal(del.code, 0, del.stdout + del.stderr);
  assert.deepEqual(links(pod.name), ['lo']);
  return { addStarts, delStarts: nodeStarts().slice(before + addStarts.length) };
}

describe('no agent: one Node process per runtime call', () => {
  it('macvlan runs trunkline-ipam in-process (ADD and DEL: one Node start each)', async () => {
    const { addStarts, delStarts } = await pair('trunkline-macvlan', macvlan('noag-mv'), 'noag1');
    assert.equal(addStarts.length, 1, addStarts.join(', '));
    assert.match(addStarts[0]!, /trunkline-macvlan\.js$/);
    assert.equal(delStarts.length, 1, delStarts.join(', '));
  });

  it('the meta plugin runs macvlan and trunkline-ipam in-process', async () => {
    const { addStarts, delStarts } = await pair('trunkline', meta(), 'noag2');
    assert.deepEqual(addStarts.length, 1, addStarts.join(', '));
    assert.match(addStarts[0]!, /plugins\/trunkline\.js$/);
    assert.equal(delStarts.length, 1, delStarts.join(', '));
  });

  it('a different file that CNI_PATH names first for our type is executed, as libcni would', async () => {
    const { addStarts } = await pair('trunkline-macvlan', macvlan('noag-wr'), 'noag3', [
      join(dir, 'wrap'),
      DIST_CNI,
    ]);
    assert.equal(addStarts.length, 3, addStarts.join(', '));
    assert.deepEqual(
      [addStarts[1], addStarts[2]!.split('/').pop()],
      ['wrapper', 'trunkline-ipam.js'],
      addStarts.join(', '),
    );
  });
});
