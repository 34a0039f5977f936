import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { LocalSource } from '../../../src/cluster/local/source.js';
import { CniError, Code } from '../../../src/cni/errors.js';

const POOLS_YAML = `
apiVersion: spiderpool.spidernet.io/v2beta1
kind: SpiderIPPool
metadata:
  name: vlan100-v4
spec:
  ipVersion: 4
  subnet: 10.100.0.0/24
  ips:
    - 10.100.0.10-10.100.0.200
  gateway: 10.100.0.1
  vlan: 100
---
apiVersion: spiderpool.spidernet.io/v2beta1
kind: SpiderReservedIP
metadata:
  name: routers
spec:
  ips: ["10.100.0.2-10.100.0.5"]
---
# an empty document and an unrelated kind are fine
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: ignored
`;

const CLUSTER_YAML = `
apiVersion: v1
kind: List
items:
  - apiVersion: v1
    kind: Namespace
    metadata:
      name: apps
      labels: {tier: gold}
      annotations:
        ipam.spidernet.io/default-ipv4-ippool: '["vlan100-v4"]'
  - apiVersion: v1
    kind: Node
    metadata:
      name: node1
      labels: {zone: a}
`;

const POD_JSON = JSON.stringify({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'web-0', namespace: 'apps', uid: 'u-1', labels: { app: 'web' }, annotations: { a: '1' } },
  spec: { nodeName: 'node1', containers: [] },
});

const NAD_YAML = `
apiVersion: k8s.cni.cncf.io/v1
kind: NetworkAttachmentDefinition
metadata:
  name: macvlan-vlan100
  namespace: kube-system
spec:
  config: '{"cniVersion":"1.0.0","type":"trunkline-macvlan"}'
`;

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'trunkline-local-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function layout(): { manifestDir: string; stateDir: string } {
  const manifestDir = join(dir, 'etc');
  mkdirSync(join(manifestDir, 'pools', 'deeper'), { recursive: true });
  mkdirSync(join(dir, 'data'), { recursive: true });
  writeFileSync(join(manifestDir, 'pools', 'vlan100.yaml'), POOLS_YAML);
  writeFileSync(join(manifestDir, 'cluster.yml'), CLUSTER_YAML);
  writeFileSync(join(manifestDir, 'pools', 'deeper', 'pod.json'), POD_JSON);
  writeFileSync(join(dir, 'data', 'nad.yaml'), NAD_YAML);
  // Symlinked files (as in ConfigMap mounts) are followed; other extensions are ignored.
  symlinkSync(join(dir, 'data', 'nad.yaml'), join(manifestDir, 'nad.yaml'));
  writeFileSync(join(manifestDir, 'README.txt'), 'not a manifest');
  return { manifestDir, stateDir: join(dir, 'state') };
}

describe('LocalSource', () => {
  it('reads every kind from a directory tree', async () => {
    const src = new LocalSource(layout());
    const pools = await src.listIPPools();
    assert.deepEqual(
      pools.map((p) => [p.metadata.name, p.spec.subnet, p.spec.gateway, p.spec.vlan]),
      [['vlan100-v4', '10.100.0.0/24', '10.100.0.1', 100]],
    );
    assert.deepEqual(
      (await src.listReservedIPs()).map((r) => r.spec.ips),
      [['10.100.0.2-10.100.0.5']],
    );
    const ns = await src.getNamespace('apps');
    assert.equal(ns?.metadata.annotations?.['ipam.spidernet.io/default-ipv4-ippool'], '["vlan100-v4"]');
    assert.deepEqual((await src.getNode('node1'))?.metadata.labels, { zone: 'a' });
    const pod = await src.getPod('apps', 'web-0');
    assert.equal(pod?.nodeName, 'node1');
    assert.deepEqual(pod?.metadata.labels, { app: 'web' });
    assert.equal(pod?.metadata.namespace, 'apps');
    const nad = await src.getNetworkAttachmentDefinition('kube-system', 'macvlan-vlan100');
    assert.equal(JSON.parse(nad?.spec.config ?? '{}').type, 'trunkline-macvlan');
    assert.equal(await src.getPod('apps', 'nope'), undefined);
    assert.equal(await src.getNamespace('nope'), undefined);
  });

  it('writes pod annotations to the state dir and reads them back merged', async () => {
    const opts = layout();
    const src = new LocalSource(opts);
    await src.setPodAnnotations('apps', 'web-0', { 'k8s.v1.cni.cncf.io/network-status': '[]' });
    await src.setPodAnnotations('apps', 'web-0', { b: '2' });
    const file = JSON.parse(readFileSync(join(opts.stateDir, 'pods', 'apps_web-0.json'), 'utf8'));
    assert.deepEqual(file, {
      namespace: 'apps',
      name: 'web-0',
      uid: 'u-1',
      annotations: { 'k8s.v1.cni.cncf.io/network-status': '[]', b: '2' },
    });
    const pod = await new LocalSource(opts).getPod('apps', 'web-0');
    assert.deepEqual(pod?.metadata.annotations, {
      a: '1',
      'k8s.v1.cni.cncf.io/network-status': '[]',
      b: '2',
    });
  });

  it('caches per instance until reload()', async () => {
    const opts = layout();
    const src = new LocalSource(opts);
    assert.equal((await src.listIPPools()).length, 1);
    writeFileSync(
      join(opts.manifestDir, 'more.yaml'),
      POOLS_YAML.replaceAll('vlan100-v4', 'vlan101-v4').replaceAll('routers', 'r2'),
    );
    assert.equal((await src.listIPPools()).length, 1);
    src.reload();
    assert.equal((await src.listIPPools()).length, 2);
  });

  it('a missing directory is simply empty', async () => {
    const src = new LocalSource({ manifestDir: join(dir, 'absent'), stateDir: join(dir, 's') });
    assert.deepEqual(await src.listIPPools(), []);
  });

  it('reports invalid YAML and duplicates with file names', async () => {
    const opts = layout();
    writeFileSync(join(opts.manifestDir, 'broken.yaml'), 'kind: SpiderIPPool\nmetadata: {name: [\n');
    await assert.rejects(new LocalSource(opts).listIPPools(), (e: unknown) => {
      assert.ok(e instanceof CniError && e.code === Code.InvalidConfig);
      assert.match(e.message, /broken\.yaml:3:1: invalid YAML/);
      return true;
    });
    rmSync(join(opts.manifestDir, 'broken.yaml'));
    writeFileSync(join(opts.manifestDir, 'copy.yaml'), POOLS_YAML);
    await assert.rejects(
      new LocalSource(opts).listIPPools(),
      /SpiderIPPool vlan100-v4 is defined twice: in .*copy\.yaml and in .*vlan100\.yaml/,
    );
  });
});
