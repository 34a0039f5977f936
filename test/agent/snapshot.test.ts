// Without an agent the shim starts the bundled plugin from its start-up snapshot (<type>.blob beside
// <type>.js, src/cni/snapshot.ts), with the node it chose itself (<payload>/lib/node here, a wrapper
// that logs its arguments). A blob Node rejects (built by another Node version) costs one refused
// start, then the plain bundle answers the same call with the same stdin.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runCni } from '../helpers/cni.js';
import { ipj, links, Scene } from '../helpers/netns.js';
import { DIST } from '../helpers/paths.js';
import { loggedLines } from './helpers.js';

const TYPES = ['trunkline', 'trunkline-macvlan', 'trunkline-ipam', 'trunkline-coordinator'];
const scene = new Scene('snap');
let dir: string;
let host: ReturnType<Scene['host']>;
let pod: { name: string; path: string };

/** Each Node start the shim makes appends one line to node.log. */
const nodeStarts = () => loggedLines(join(dir, 'node.log'));

const blob = (type: string) => join(dir, 'plugins', `${type}.blob`);

/** The blob as another Node version would have written it: the same bytes, another version in its header. */
function foreignBlob(type: string): void {
  const bytes = readFileSync(join(DIST, 'plugins', `${type}.blob`));
  const version = Buffer.from(process.version.slice(1));
  const at = bytes.subarray(0, 64).indexOf(version);
  assert.ok(at > 0, `no ${process.version} in the blob's header`);
  bytes.fill('9'.charCodeAt(0), at, at + 2); // 20.x → 99.x
  writeFileSync(blob(type), bytes);
}

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'snap-'));
  host = scene.host();
  pod = scene.netns('p');
  // An installed layout: shims in cni/, bundles and blobs in plugins/, native parts and node in lib/.
  for (const d of ['cni', 'plugins', 'lib', 'manifests']) mkdirSync(join(dir, d));
  for (const t of TYPES) {
    copyFileSync(join(DIST, 'cni', t), join(dir, 'cni', t));
    copyFileSync(join(DIST, 'plugins', `${t}.js`), join(dir, 'plugins', `${t}.js`));
    copyFileSync(join(DIST, 'plugins', `${t}.blob`), blob(t));
  }
  for (const f of readdirSync(join(DIST, 'lib'))) symlinkSync(join(DIST, 'lib', f), join(dir, 'lib', f));
  writeFileSync(
    join(dir, 'lib', 'node'),
    `#!/bin/sh\necho "$*" >> '${join(dir, 'node.log')}'\nexec '${process.execPath}' "$@"\n`,
    { mode: 0o755 },
  );
  writeFileSync(
    join(dir, 'manifests', 'pool.yaml'),
    'apiVersion: spiderpool.spidernet.io/v2beta1\nkind: SpiderIPPool\nmetadata: {name: snap}\n' +
      'spec: {subnet: 10.78.0.0/16, ips: [10.78.0.10-10.78.0.20], gateway: 10.78.0.1}\n',
  );
});
after(() => {
  scene.cleanup();
  rmSync(dir, { recursive: true, force: true });
});

const conf = () => ({
  cniVersion: '0.4.0',
  name: 'snap-mv',
  type: 'trunkline-macvlan',
  master: 'uplink0',
  mode: 'bridge',
  ipam: {
    type: 'trunkline-ipam',
    default_ipv4_ippool: ['snap'],
    manifestDir: join(dir, 'manifests'),
    stateDir: join(dir, 'state'),
    store: { path: join(dir, 'ipam.db') },
  },
});

async function macvlanCall(command: string, id: string, env: Record<string, string> = {}) {
  const before = nodeStarts().length;
  const r = await runCni(
    join(dir, 'cni', 'trunkline-macvlan'),
    {
      command,
      containerId: id,
      netns: pod.path,
      ifname: 'eth0',
      path: [join(dir, 'cni')],
      extraEnv: {
        TRUNKLINE_NO_AGENT: '1',
        TRUNKLINE_LOG_LEVEL: 'debug',
        TRUNKLINE_LOG_FILE: join(dir, 'plugin.log'),
        ...env,
      },
    },
    conf(),
    host.path,
  );
  return { ...r, starts: nodeStarts().slice(before) };
}

const podAddrs = () =>
  ipj<{ ifname: string; addr_info: { family: string; local: string }[] }[]>(pod.name, ['addr'])
    .filter((l) => l.ifname !== 'lo')
    .flatMap((l) => l.addr_info.filter((a) => a.family === 'inet').map((a) => a.local));

describe('no agent: plugins start from their start-up snapshot', () => {
  it('the build leaves a blob beside every plugin bundle', () => {
    for (const t of TYPES) assert.ok(existsSync(join(DIST, 'plugins', `${t}.blob`)), t);
  });

  it('no bundle calls import() on a path a call takes: a process started from a blob cannot', () => {
    // The one left is client.ts's fallback for running from sources, when lib/kubernetes-client.js
    // is missing.
    for (const t of TYPES) {
      const text = readFileSync(join(DIST, 'plugins', `${t}.js`), 'utf8');
      const calls = [...text.matchAll(/(?<![\w.$])import\(([^)]*)\)/g)].map((m) => m[1]);
      assert.ok(
        calls.every((c) => c === 'pkg'),
        `${t}: import(${calls.join('), import(')})`,
      );
    }
  });

  it('macvlan + trunkline-ipam ADD and DEL run from the blob, one Node start each', async () => {
    const add = await macvlanCall('ADD', 'snap1');
    assert.equal(add.code, 0, add.stdout + add.stderr);
    assert.deepEqual(add.starts, [
      `--snapshot-blob ${dir}/cni/../plugins/trunkline-macvlan.blob ${dir}/cni/../plugins/trunkline-macvlan.js`,
    ]);
    const ip = JSON.parse(add.stdout).ips[0].address.split('/')[0];
    assert.deepEqual(podAddrs(), [ip]);
    // The call's environment, not the build's, reached the snapshot's main function.
    assert.match(readFileSync(join(dir, 'plugin.log'), 'utf8'), /"containerID":"snap1"/);
    const del = await macvlanCall('DEL', 'snap1');
    assert.equal(del.code, 0, del.stdout + del.stderr);
    assert.equal(del.starts.length, 1);
    assert.deepEqual(links(pod.name), ['lo']);
  });

  it('TRUNKLINE_SNAPSHOT=0 runs the plain bundle', async () => {
    const add = await macvlanCall('ADD', 'snap2', { TRUNKLINE_SNAPSHOT: '0' });
    assert.equal(add.code, 0, add.stdout + add.stderr);
    assert.deepEqual(add.starts, [`${dir}/cni/../plugins/trunkline-macvlan.js`]);
    assert.equal((await macvlanCall('DEL', 'snap2')).code, 0);
  });

  it('a blob from another Node version is refused and the plain bundle answers, stdin intact', async () => {
    foreignBlob('trunkline-macvlan');
    try {
      const add = await macvlanCall('ADD', 'snap3');
      assert.equal(add.code, 0, add.stdout + add.stderr);
      assert.equal(add.starts.length, 2, add.starts.join(' | '));
      assert.match(add.starts[0]!, /^--snapshot-blob /);
      assert.match(add.starts[1]!, /plugins\/trunkline-macvlan\.js$/);
      // The result is in the config's version (0.4.0): the plain start read the same stdin.
      assert.equal(JSON.parse(add.stdout).cniVersion, '0.4.0');
      assert.equal(podAddrs().length, 1);
      const del = await macvlanCall('DEL', 'snap3');
      assert.equal(del.code, 0, del.stdout + del.stderr);
      assert.deepEqual(links(pod.name), ['lo']);
    } finally {
      copyFileSync(join(DIST, 'plugins', 'trunkline-macvlan.blob'), blob('trunkline-macvlan'));
    }
  });

  it('a bundle started from its blob fails a bad call as the plain bundle does', () => {
    const run = (snapshot: string) =>
      spawnSync(join(dir, 'cni', 'trunkline-ipam'), [], {
        env: {
          CNI_COMMAND: 'ADD',
          TRUNKLINE_NO_AGENT: '1',
          TRUNKLINE_SNAPSHOT: snapshot,
          PATH: '/usr/bin:/bin',
        },
        input: '{"cniVersion":"0.4.0","name":"n","type":"trunkline-ipam"}',
        encoding: 'utf8',
      });
    const [fromBlob, plain] = [run('1'), run('0')];
    assert.equal(fromBlob.status, 1, fromBlob.stderr);
    assert.deepEqual(JSON.parse(fromBlob.stdout), JSON.parse(plain.stdout));
    assert.equal(JSON.parse(fromBlob.stdout).code, 4);
  });
});
