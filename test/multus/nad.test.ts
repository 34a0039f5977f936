// NetworkAttachmentDefinition resolution, confDir fallback, isolation and overlay marking.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { CniError } from '../../src/cni/errors.js';
import { loadMultusConf } from '../../src/multus/config.js';
import {
  checkNamespaceIsolation,
  injectCniArgs,
  isOverlayNetwork,
  resolveNad,
  withRuntimeConfig,
} from '../../src/multus/nad.js';
import { FakeSource } from './fake-source.js';

const code7 = (re: RegExp) => (e: unknown) => e instanceof CniError && e.code === 7 && re.test(e.message);

let confDir: string;
const src = new FakeSource();

before(() => {
  confDir = mkdtempSync(join(tmpdir(), 'multus-confdir-'));
  writeFileSync(join(confDir, '00-broken.conf'), '{ not json');
  writeFileSync(
    join(confDir, '05-other.conf'),
    JSON.stringify({ cniVersion: '1.0.0', name: 'other', type: 'bridge' }),
  );
  writeFileSync(
    join(confDir, '10-from-file.conflist'),
    JSON.stringify({
      cniVersion: '1.0.0',
      name: 'from-file',
      plugins: [{ type: 'macvlan' }, { type: 'tuning' }],
    }),
  );
  writeFileSync(
    join(confDir, '20-notype.conf'),
    JSON.stringify({ cniVersion: '1.0.0', name: 'notype', plugins: [] }),
  );
  src.addNad('ns1', 'conf-named', {
    cniVersion: '1.0.0',
    name: 'inner-name',
    type: 'macvlan',
    master: 'eth1',
  });
  src.addNad('ns1', 'conf-unnamed', { cniVersion: '1.0.0', type: 'macvlan' });
  src.addNad('ns1', 'list', {
    cniVersion: '1.0.0',
    plugins: [{ type: 'macvlan' }, { type: 'trunkline-coordinator', mode: 'auto' }],
  });
  src.addNad('ns1', 'from-file');
  src.addNad('ns1', 'nofile');
  src.addNad('ns1', 'notype');
  src.addNad('ns1', 'badjson', '{"type": ');
  src.addNad('ns1', 'neither', { cniVersion: '1.0.0', name: 'x' });
  src.addNad('ns1', 'list-missing-type', {
    cniVersion: '1.0.0',
    plugins: [{ type: 'macvlan' }, { mode: 'x' }],
  });
  src.addNad('ns1', 'overlay-chain', {
    cniVersion: '1.0.0',
    plugins: [{ type: 'macvlan' }, { type: 'trunkline-coordinator', mode: 'overlay' }],
  });
  src.addNad(
    'ns1',
    'overlay-annotated',
    { cniVersion: '1.0.0', type: 'macvlan' },
    { 'trunkline.io/network-mode': 'overlay' },
  );
});
after(() => rmSync(confDir, { recursive: true, force: true }));

describe('resolveNad', () => {
  test('a conf keeps its own name; the network is named namespace/nad', async () => {
    const n = await resolveNad(src, 'ns1', 'conf-named', confDir);
    assert.equal(n.name, 'ns1/conf-named');
    assert.equal(n.isList, false);
    assert.deepEqual(n.config, { cniVersion: '1.0.0', name: 'inner-name', type: 'macvlan', master: 'eth1' });
    assert.equal(n.overlay, false);
  });

  test('a missing CNI name is injected from the NAD name', async () => {
    const n = await resolveNad(src, 'ns1', 'conf-unnamed', confDir);
    assert.equal(n.config.name, 'conf-unnamed');
  });

  test('a conflist is recognised; coordinator mode auto is not overlay', async () => {
    const n = await resolveNad(src, 'ns1', 'list', confDir);
    assert.equal(n.isList, true);
    assert.equal(n.config.name, 'list');
    assert.equal(isOverlayNetwork(n), false);
  });

  test('an empty spec loads the confDir file with that CNI name, skipping unreadable neighbours', async () => {
    const n = await resolveNad(src, 'ns1', 'from-file', confDir);
    assert.equal(n.isList, true);
    assert.deepEqual(
      (n.config.plugins as { type: string }[]).map((p) => p.type),
      ['macvlan', 'tuning'],
    );
  });

  test('resolution failures are code 7 naming the NAD', async () => {
    await assert.rejects(
      resolveNad(src, 'ns1', 'absent', confDir),
      code7(/cannot find NetworkAttachmentDefinition ns1\/absent/),
    );
    await assert.rejects(
      resolveNad(src, 'ns1', 'nofile', confDir),
      code7(
        /NetworkAttachmentDefinition ns1\/nofile has an empty spec and no CNI config named "nofile" exists in /,
      ),
    );
    await assert.rejects(
      resolveNad(src, 'ns1', 'notype', confDir),
      code7(/20-notype\.conf: CNI config "notype" has no "type"/),
    );
    await assert.rejects(
      resolveNad(src, 'ns1', 'badjson', confDir),
      code7(/ns1\/badjson: CNI config is not valid JSON/),
    );
    await assert.rejects(
      resolveNad(src, 'ns1', 'neither', confDir),
      code7(/neither "type" nor a non-empty "plugins"/),
    );
    await assert.rejects(
      resolveNad(src, 'ns1', 'list-missing-type', confDir),
      code7(/plugin 1 of the conflist has no "type"/),
    );
  });

  test('overlay: a coordinator in overlay mode, or the NAD annotation', async () => {
    assert.equal((await resolveNad(src, 'ns1', 'overlay-chain', confDir)).overlay, true);
    assert.equal((await resolveNad(src, 'ns1', 'overlay-annotated', confDir)).overlay, true);
    assert.equal(
      isOverlayNetwork({ config: { plugins: [{ type: 'trunkline-coordinator', mode: 'overlay' }] } }),
      true,
    );
    assert.equal(isOverlayNetwork({ config: { type: 'macvlan' } }), false);
  });
});

describe('namespace isolation', () => {
  const base = { cniVersion: '1.0.0', name: 'm', type: 'trunkline', clusterNetwork: 'c' };
  test('off: any namespace', () => {
    checkNamespaceIsolation(loadMultusConf(base), 'team-a', 'kube-system');
  });
  test('on: own namespace and global namespaces only', () => {
    const conf = loadMultusConf({ ...base, namespaceIsolation: true, globalNamespaces: 'default, shared' });
    checkNamespaceIsolation(conf, 'team-a', 'team-a');
    checkNamespaceIsolation(conf, 'team-a', 'shared');
    checkNamespaceIsolation(conf, 'team-a', 'default');
    assert.throws(
      () => checkNamespaceIsolation(conf, 'team-a', 'kube-system', 'team-a/web'),
      code7(/pod team-a\/web in namespace "team-a" may not use networks of namespace "kube-system"/),
    );
  });
});

describe('runtime injection', () => {
  test('cni-args merge into args.cni of a conf, annotation wins', () => {
    const out = injectCniArgs({ type: 'x', args: { cni: { a: 1, b: 1 }, other: true } }, false, {
      b: 2,
      c: 3,
    });
    assert.deepEqual(out.args, { cni: { a: 1, b: 2, c: 3 }, other: true });
  });
  test('cni-args go into every plugin of a conflist', () => {
    const out = injectCniArgs(
      { name: 'l', plugins: [{ type: 'a' }, { type: 'b', args: { cni: { z: 0 } } }] },
      true,
      { k: 'v' },
    );
    assert.deepEqual(
      (out.plugins as { args: unknown }[]).map((p) => p.args),
      [{ cni: { k: 'v' } }, { cni: { z: 0, k: 'v' } }],
    );
  });
  test('runtimeConfig is the intersection of capability args and declared capabilities', () => {
    const conf = { type: 'macvlan', capabilities: { mac: true, ips: false, bandwidth: true } };
    const out = withRuntimeConfig(conf, { mac: 'c2:00:00:00:00:01', ips: ['10.0.0.5/24'], portMappings: [] });
    assert.deepEqual(out.runtimeConfig, { mac: 'c2:00:00:00:00:01' });
    assert.equal(withRuntimeConfig({ type: 'x' }, { mac: 'm' }).runtimeConfig, undefined);
  });
});
