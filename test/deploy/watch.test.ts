// `trunkline install --watch` as the DaemonSet's watch container runs it: regenerates the conflist
// when the default network's file changes, rewrites the kubeconfig when the token rotates, and on
// SIGTERM exits without removing the CNI config or anything else (Multus #1527).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { ROOT } from '../helpers/paths.js';
import { snapshot } from './tree.js';

const CLI = join(ROOT, 'dist', 'cni', 'trunkline-cli');

/** Polls until `cond` holds; fails after a generous bound (no timing assertion, only a hang guard). */
async function until(what: string, cond: () => boolean): Promise<void> {
  for (let i = 0; i < 600; i++) {
    if (cond()) return;
    await sleep(100);
  }
  assert.fail(`timed out waiting for ${what}`);
}

describe('trunkline install --watch', () => {
  it('follows the default network and the token, and SIGTERM keeps every file', async () => {
    const root = mkdtempSync(join(tmpdir(), 'tl-watch-'));
    const conf = join(root, 'net.d');
    const sa = join(root, 'sa');
    mkdirSync(conf);
    mkdirSync(sa);
    writeFileSync(join(sa, 'token'), 'first');
    writeFileSync(join(sa, 'ca.crt'), 'CA');
    const conflist = join(conf, '00-trunkline.conflist');
    const kubeconfig = join(conf, 'trunkline.d', 'trunkline.kubeconfig');
    const child = spawn(
      process.execPath,
      [
        CLI,
        'install',
        '--watch',
        '--interval-ms=200',
        `--source=${join(ROOT, 'dist')}`,
        `--bin-dir=${join(root, 'cni', 'bin')}`,
        `--conf-dir=${conf}`,
        `--state-dir=${join(root, 'state')}`,
        `--service-account-dir=${sa}`,
      ],
      {
        env: { ...process.env, KUBERNETES_SERVICE_HOST: '10.96.0.1', KUBERNETES_SERVICE_PORT: '443' },
        stdio: ['ignore', 'ignore', 'pipe'],
      },
    );
    let log = '';
    child.stderr.on('data', (d) => (log += d));
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    try {
      await until('the installed shims', () => existsSync(join(root, 'cni', 'bin', 'trunkline')));
      assert.ok(!existsSync(conflist), 'no conflist while there is no default network');
      // The cluster network's plugin installs its config later, as on a fresh node.
      writeFileSync(
        join(conf, '10-flannel.conflist'),
        JSON.stringify({ cniVersion: '1.0.0', name: 'cbr0', plugins: [{ type: 'flannel' }] }),
      );
      await until('the conflist', () => existsSync(conflist));
      assert.equal(
        JSON.parse(readFileSync(conflist, 'utf8')).plugins[0].clusterNetwork,
        join(conf, '10-flannel.conflist'),
      );
      writeFileSync(
        join(conf, '10-flannel.conflist'),
        JSON.stringify({
          cniVersion: '1.0.0',
          name: 'cbr0',
          plugins: [{ type: 'flannel' }, { type: 'portmap', capabilities: { portMappings: true } }],
        }),
      );
      await until(
        'the regenerated conflist',
        () => JSON.parse(readFileSync(conflist, 'utf8')).plugins[0].capabilities?.portMappings === true,
      );
      writeFileSync(join(sa, 'token'), 'second');
      await until('the rotated token', () => readFileSync(kubeconfig, 'utf8').includes('token: second'));
      const before = snapshot(root);
      child.kill('SIGTERM');
      assert.equal(await exited, 0, log);
      assert.match(log, /SIGTERM: stopping; the CNI config and binaries stay in place/);
      assert.deepEqual(snapshot(root), before, 'nothing removed or changed on SIGTERM');
    } finally {
      child.kill('SIGKILL');
      rmSync(root, { recursive: true, force: true });
    }
  });
});
