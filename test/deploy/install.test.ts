// `trunkline install` / `uninstall` on temporary host dirs: what lands where, the conflist wrapping
// the default network like Multus's auto-config, the kubeconfig from the service account, idempotence,
// atomic replacement while the old binary runs, --watch regenerating and surviving SIGTERM without
// removing anything, and uninstall leaving the dirs exactly as they were.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parse } from 'yaml';
import { type InstallOptions, installOnce } from '../../src/install/install.js';
import { uninstall } from '../../src/install/uninstall.js';
import { ROOT } from '../helpers/paths.js';
import { snapshot } from './tree.js';

const DIST = join(ROOT, 'dist');
const CLI = join(DIST, 'bin', 'trunkline');
const CALICO = {
  cniVersion: '0.3.1',
  name: 'k8s-pod-network',
  plugins: [
    { type: 'calico', ipam: { type: 'calico-ipam' } },
    { type: 'portmap', snat: true, capabilities: { portMappings: true } },
    { type: 'bandwidth', capabilities: { bandwidth: true } },
  ],
};

let root: string;
let host: string;
let opts: InstallOptions;

function seedHost(dir: string): void {
  // A node as a cluster left it: reference plugins in the bin dir, the default network's config and
  // an unrelated file in the conf dir, a service account as kubelet projects it.
  mkdirSync(join(dir, 'opt/cni/bin'), { recursive: true });
  mkdirSync(join(dir, 'etc/cni/net.d'), { recursive: true });
  mkdirSync(join(dir, 'sa'), { recursive: true });
  copyFileSync('/bin/true', join(dir, 'opt/cni/bin/bridge'));
  writeFileSync(join(dir, 'etc/cni/net.d/10-calico.conflist'), JSON.stringify(CALICO, null, 2));
  writeFileSync(
    join(dir, 'etc/cni/net.d/99-loopback.conf'),
    '{"cniVersion":"0.3.1","name":"lo","type":"loopback"}',
  );
  writeFileSync(join(dir, 'etc/cni/net.d/calico-kubeconfig'), 'not ours\n');
  writeFileSync(join(dir, 'sa/token'), 'token-one\n');
  writeFileSync(join(dir, 'sa/ca.crt'), '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n');
}

before(() => {
  assert.ok(existsSync(CLI), `${CLI}: run the build first (npm run build)`);
  root = mkdtempSync(join(tmpdir(), 'tl-install-'));
  host = join(root, 'host');
  seedHost(host);
  opts = {
    sourceDir: DIST,
    binDir: join(host, 'opt/cni/bin'),
    confDir: join(host, 'etc/cni/net.d'),
    stateDir: join(host, 'var/lib/trunkline'),
    hostBinDir: '/opt/cni/bin',
    hostConfDir: '/etc/cni/net.d',
    serviceAccountDir: join(host, 'sa'),
    api: { host: '10.96.0.1', port: '443' },
    readinessIndicatorFile: '/run/calico/ready',
    nodeBinary: process.execPath,
  };
});

after(() => rmSync(root, { recursive: true, force: true }));

describe('trunkline install / uninstall', () => {
  let before: Record<string, string>;

  it('installs shims, bundles, native parts, the agent, the kubeconfig and the conflist', () => {
    before = snapshot(host);
    const calico = readFileSync(join(opts.confDir, '10-calico.conflist'));
    const r = installOnce(opts);
    assert.equal(r.defaultNetwork, '10-calico.conflist');
    for (const t of ['trunkline', 'trunkline-macvlan', 'trunkline-ipam', 'trunkline-coordinator']) {
      assert.deepEqual(readFileSync(join(opts.binDir, t)), readFileSync(join(DIST, 'cni', t)), t);
      assert.equal(statSync(join(opts.binDir, t)).mode & 0o777, 0o755);
      assert.ok(existsSync(join(host, 'opt/cni/plugins', `${t}.js`)));
      // The start-up snapshot beside its bundle: the installed node (lib/node) loads it.
      assert.deepEqual(
        readFileSync(join(host, 'opt/cni/plugins', `${t}.blob`)),
        readFileSync(join(DIST, 'plugins', `${t}.blob`)),
      );
    }
    assert.ok(!existsSync(join(opts.binDir, 'trunkline-cli')), 'the CLI is not a CNI plugin');
    assert.ok(existsSync(join(host, 'opt/cni/agent/agent.js')));
    assert.ok(existsSync(join(host, 'opt/cni/lib/better_sqlite3.node')));
    assert.equal(statSync(join(host, 'opt/cni/lib/node')).size, statSync(process.execPath).size);

    const conf = JSON.parse(readFileSync(join(opts.confDir, '00-trunkline.conflist'), 'utf8'));
    assert.deepEqual(conf, {
      cniVersion: '0.3.1',
      name: 'trunkline-cni-network',
      plugins: [
        {
          type: 'trunkline',
          capabilities: { portMappings: true, bandwidth: true },
          clusterNetwork: '/etc/cni/net.d/10-calico.conflist',
          binDir: '/opt/cni/bin',
          kubeconfig: '/etc/cni/net.d/trunkline.d/trunkline.kubeconfig',
          readinessindicatorfile: '/run/calico/ready',
        },
      ],
    });
    assert.deepEqual(
      readFileSync(join(opts.confDir, '10-calico.conflist')),
      calico,
      'default network untouched',
    );

    const kcPath = join(opts.confDir, 'trunkline.d/trunkline.kubeconfig');
    assert.equal(statSync(kcPath).mode & 0o777, 0o600);
    const kc = parse(readFileSync(kcPath, 'utf8'));
    assert.equal(kc.clusters[0].cluster.server, 'https://10.96.0.1:443');
    assert.equal(
      Buffer.from(kc.clusters[0].cluster['certificate-authority-data'], 'base64').toString(),
      readFileSync(join(host, 'sa/ca.crt'), 'utf8'),
    );
    assert.equal(kc.users[0].user.token, 'token-one');
  });

  it('with no agent, an installed shim answers through the plugin bundle and the node beside it', () => {
    // Hosts rarely have node: the fallback must use <payload>/lib/node. Wrap it to see it used.
    const node = join(host, 'opt/cni/lib/node');
    const marker = join(root, 'bundled-node-used');
    writeFileSync(node, `#!/bin/sh\necho yes > ${marker}\nexec ${process.execPath} "$@"\n`);
    // The shim answers VERSION itself; an ADD missing its environment is the bundle's to refuse.
    const r = spawnSync(join(opts.binDir, 'trunkline-ipam'), [], {
      env: {
        CNI_COMMAND: 'ADD',
        TRUNKLINE_AGENT_SOCK: join(root, 'no-agent.sock'),
        PATH: '/usr/bin:/bin',
      },
      input: '{"cniVersion":"1.0.0","name":"n","type":"trunkline-ipam"}',
      encoding: 'utf8',
    });
    assert.notEqual(r.status, 0, r.stderr);
    assert.equal(JSON.parse(r.stdout).code, 4, r.stdout);
    assert.ok(existsSync(marker), 'the shim ran <payload>/lib/node');
    installOnce(opts);
    assert.equal(statSync(node).size, statSync(process.execPath).size, 'install puts the real one back');
  });

  it('is idempotent: a second run writes nothing', () => {
    const inode = statSync(join(opts.binDir, 'trunkline')).ino;
    assert.deepEqual(installOnce(opts).written, []);
    assert.equal(statSync(join(opts.binDir, 'trunkline')).ino, inode);
  });

  it('rewrites the kubeconfig, and only it, when the token rotates', () => {
    writeFileSync(join(host, 'sa/token'), 'token-two\n');
    assert.deepEqual(installOnce(opts).written, [join(opts.confDir, 'trunkline.d/trunkline.kubeconfig')]);
    assert.equal(
      parse(readFileSync(join(opts.confDir, 'trunkline.d/trunkline.kubeconfig'), 'utf8')).users[0].user.token,
      'token-two',
    );
  });

  it('uninstall leaves the host dirs byte-for-byte as before install', () => {
    writeFileSync(join(host, 'sa/token'), 'token-one\n');
    const r = uninstall(opts.stateDir);
    assert.ok(r.removed.length >= 12);
    assert.deepEqual(snapshot(host), before);
  });

  it('puts back a file install displaced, and keeps files others added to its dirs', () => {
    writeFileSync(join(opts.binDir, 'trunkline-ipam'), '#!/bin/sh\necho someone else\n');
    chmodSync(join(opts.binDir, 'trunkline-ipam'), 0o750);
    const start = snapshot(host);
    installOnce(opts);
    writeFileSync(join(host, 'opt/cni/plugins/other.js'), 'not ours');
    const r = uninstall(opts.stateDir);
    assert.deepEqual(r.restored, [join(opts.binDir, 'trunkline-ipam')]);
    assert.deepEqual(r.keptDirs, [join(host, 'opt/cni/plugins')]);
    rmSync(join(host, 'opt/cni/plugins'), { recursive: true });
    assert.deepEqual(snapshot(host), start);
  });
});

describe('trunkline install: start-up snapshots', () => {
  it('leaves out a blob the installed node cannot load (another Node version wrote it)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tl-install-blob-'));
    try {
      // A dist/ whose macvlan blob another Node version wrote: same bytes, another version in its header.
      const src = join(dir, 'dist');
      for (const d of ['cni', 'plugins', 'lib']) mkdirSync(join(src, d), { recursive: true });
      for (const t of ['trunkline-macvlan', 'trunkline-ipam']) {
        copyFileSync(join(DIST, 'cni', t), join(src, 'cni', t));
        for (const ext of ['js', 'blob'])
          copyFileSync(join(DIST, 'plugins', `${t}.${ext}`), join(src, 'plugins', `${t}.${ext}`));
      }
      const blob = readFileSync(join(src, 'plugins', 'trunkline-macvlan.blob'));
      const at = blob.subarray(0, 64).indexOf(Buffer.from(process.version.slice(1)));
      assert.ok(at > 0, `no ${process.version} in the blob's header`);
      blob.fill('9'.charCodeAt(0), at, at + 2);
      writeFileSync(join(src, 'plugins', 'trunkline-macvlan.blob'), blob);
      const h = join(dir, 'host');
      installOnce({
        sourceDir: src,
        binDir: join(h, 'opt/cni/bin'),
        confDir: join(h, 'etc/cni/net.d'),
        stateDir: join(h, 'var/lib/trunkline'),
        nodeBinary: process.execPath,
        conflist: false,
      });
      assert.ok(existsSync(join(h, 'opt/cni/plugins/trunkline-macvlan.js')));
      assert.ok(!existsSync(join(h, 'opt/cni/plugins/trunkline-macvlan.blob')), 'foreign blob left out');
      assert.ok(existsSync(join(h, 'opt/cni/plugins/trunkline-ipam.blob')), 'fitting blob installed');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
