// Runtime compatibility: podman 4.3 (CNI backend, runc) calls our plugins the way it calls any CNI
// plugin. The plugins run in a test "host" namespace (podman started with nsenter --net=), the master
// is a veth there, and the container sees a macvlan NIC with an address from a SpiderIPPool; `--rm`
// makes podman call DEL, which must release the address.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { SqliteStore } from '../../src/store/sqlite.js';
import { DIST_CNI, REF_CNI } from '../helpers/paths.js';
import { Scene } from '../helpers/scene.js';
import { tierSkip } from '../helpers/tier.js';

const havePodman =
  spawnSync('podman', ['--version']).status === 0 && spawnSync('runc', ['--version']).status === 0;
const scene = new Scene('tlr');
let host: ReturnType<Scene['host']>;
let dir: string;
const IMAGE = 'localhost/trunkline-bb:1';

function podman(args: string[]): { code: number; out: string } {
  const r = spawnSync('nsenter', [`--net=${host.path}`, 'podman', ...args], {
    env: { ...process.env, CONTAINERS_CONF: join(dir, 'containers.conf') },
    encoding: 'utf8',
    timeout: 120_000,
  });
  return { code: r.status ?? 1, out: `${r.stdout}${r.stderr}` };
}

async function holders(): Promise<string[]> {
  const store = new SqliteStore({ path: join(dir, 'state', 'ipam.db') });
  await store.open();
  try {
    return (await store.list()).map((a) => `${a.pool} ${a.ip}`);
  } finally {
    await store.close();
  }
}

before(() => {
  if (!havePodman) return;
  host = scene.host('h', 1500);
  dir = mkdtempSync(join(tmpdir(), 'tl-podman-'));
  for (const d of ['conf', 'etc', 'state', 'img/bin']) mkdirSync(join(dir, d), { recursive: true });
  copyFileSync('/bin/busybox', join(dir, 'img', 'bin', 'busybox'));
  for (const c of ['sh', 'ip', 'cat', 'sleep']) symlinkSync('busybox', join(dir, 'img', 'bin', c));
  execFileSync('tar', ['-C', join(dir, 'img'), '-cf', join(dir, 'bb.tar'), '.']);
  writeFileSync(
    join(dir, 'containers.conf'),
    `[network]\nnetwork_backend = "cni"\ncni_plugin_dirs = ["${DIST_CNI}", "${REF_CNI}"]\nnetwork_config_dir = "${join(dir, 'conf')}"\n[engine]\nruntime = "runc"\n`,
  );
  writeFileSync(
    join(dir, 'etc', 'pool.yaml'),
    'apiVersion: spiderpool.spidernet.io/v2beta1\nkind: SpiderIPPool\nmetadata: {name: vlan100-v4}\nspec: {ipVersion: 4, subnet: 10.100.0.0/24, ips: [10.100.0.10-10.100.0.20], gateway: 10.100.0.1, default: true}\n',
  );
  const ipam = {
    type: 'trunkline-ipam',
    manifestDir: join(dir, 'etc'),
    stateDir: join(dir, 'state'),
    store: { type: 'sqlite', path: join(dir, 'state', 'ipam.db') },
    nodeName: 'node1',
  };
  writeFileSync(
    join(dir, 'conf', 'vlan100.conflist'),
    JSON.stringify({
      cniVersion: '1.0.0',
      name: 'vlan100',
      plugins: [{ type: 'trunkline-macvlan', master: 'uplink0', mode: 'bridge', mtu: 1400, ipam }],
    }),
  );
  const imp = podman(['import', join(dir, 'bb.tar'), IMAGE]);
  assert.equal(imp.code, 0, imp.out);
});

after(() => {
  if (!havePodman) return;
  podman(['rmi', '-f', IMAGE]);
  scene.cleanup();
  rmSync(dir, { recursive: true, force: true });
});

describe('podman runs containers through the trunkline plugins', {
  skip: tierSkip('podman', havePodman ? undefined : 'podman or runc is not installed'),
}, () => {
  it('the container gets a macvlan eth0 with a pool address; --rm releases it', async () => {
    const r = podman([
      'run',
      '--rm',
      '--ulimit',
      'nofile=1024:1024',
      '--ulimit',
      'nproc=1024:1024',
      '--network',
      'vlan100',
      IMAGE,
      'sh',
      '-c',
      'ip -o addr show eth0; ip -o link show eth0; ip route',
    ]);
    assert.equal(r.code, 0, r.out);
    assert.match(r.out, /eth0\s+inet 10\.100\.0\.1\d\/24/, r.out);
    assert.match(r.out, /mtu 1400/);
    assert.match(r.out, /default via 10\.100\.0\.1 dev eth0/);
    assert.deepEqual(await holders(), [], 'podman called DEL on --rm and the address was released');
  });

  it('two containers at once get two different addresses, both released afterwards', async () => {
    const run = (name: string) =>
      podman([
        'run',
        '-d',
        '--name',
        name,
        '--ulimit',
        'nofile=1024:1024',
        '--ulimit',
        'nproc=1024:1024',
        '--network',
        'vlan100',
        IMAGE,
        'sleep',
        '60',
      ]);
    try {
      assert.equal(run('tl-a').code, 0);
      assert.equal(run('tl-b').code, 0);
      const ips = (await holders()).map((h) => h.split(' ')[1]);
      assert.equal(ips.length, 2);
      assert.notEqual(ips[0], ips[1]);
    } finally {
      podman(['rm', '-f', '-t', '0', 'tl-a', 'tl-b']);
    }
    assert.deepEqual(await holders(), []);
  });
});
