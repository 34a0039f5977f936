// The seed component takes VLAN masters, subnets, gateways, ranges and the cluster CIDRs from one
// file: render a copy with every value changed and find each new value where it belongs (and none of
// the old ones left), in the SpiderMultusConfigs and in the NADs the controller's generator makes of
// them (smcToNad, as the controller runs it; no controller runs here).
import assert from 'node:assert/strict';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { type Smc, smcToNad } from '../../src/controller/smc/generate.js';
import { DEPLOY, find, type K8sObject, kustomize } from './render.js';

/** The NAD config the controller generates from the rendered SMC `name`. */
function generated(objs: K8sObject[], name: string) {
  const smc = find(objs, 'SpiderMultusConfig', name) as unknown as Smc;
  return JSON.parse(smcToNad(smc).config) as {
    name: string;
    plugins: Record<string, unknown>[];
  };
}

const EDITS: Record<string, string> = {
  vlan100_master: 'eth9.1100',
  vlan100_subnet: '172.31.100.0/24',
  vlan100_gateway: '172.31.100.254',
  vlan100_range: '172.31.100.10-172.31.100.20',
  vlan200_master: 'eth9.1200',
  vlan200_subnet: '172.31.200.0/24',
  vlan200_gateway: '172.31.200.254',
  vlan200_range: '172.31.200.10-172.31.200.20',
  cluster_podCIDR: '10.99.0.0/16',
  cluster_serviceCIDR: '10.98.0.0/16',
};

describe('seed component', () => {
  it('renders the seed values by default', () => {
    const objs = kustomize(join(DEPLOY, 'overlays', 'seed'));
    assert.ok(!objs.some((o) => o.kind === 'NetworkAttachmentDefinition'), 'NADs come from the controller');
    const conf = generated(objs, 'macvlan-overlay-vlan200');
    assert.deepEqual(conf.plugins[0], {
      type: 'trunkline-macvlan',
      mode: 'bridge',
      master: 'bond0.200',
      ipam: { type: 'trunkline-ipam', store: { type: 'kubernetes' }, default_ipv4_ippool: ['vlan200-v4'] },
    });
    assert.equal(conf.plugins[1]!['mode'], 'overlay');
    assert.deepEqual(conf.plugins[1]!['hijackCIDR'], ['10.233.64.0/18', '10.233.0.0/18']);
    assert.equal(generated(objs, 'macvlan-standalone-vlan100').plugins[1]!['mode'], 'underlay');
    assert.deepEqual(find(objs, 'SpiderIPPool', 'vlan100-v4')['spec'], {
      ipVersion: 4,
      subnet: '10.100.0.0/24',
      ips: ['10.100.0.100-10.100.0.199'],
      gateway: '10.100.0.1',
      multusName: ['kube-system/macvlan-standalone-vlan100', 'kube-system/macvlan-overlay-vlan100'],
    });
  });

  it('every value in vlans.yaml lands in the NADs and pools', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tl-seed-'));
    try {
      mkdirSync(join(dir, 'overlay'));
      cpSync(join(DEPLOY, 'components', 'seed'), join(dir, 'seed'), { recursive: true });
      writeFileSync(
        join(dir, 'overlay', 'kustomization.yaml'),
        'apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\ncomponents: [../seed]\n',
      );
      let values = readFileSync(join(dir, 'seed', 'vlans.yaml'), 'utf8');
      for (const [k, v] of Object.entries(EDITS)) {
        const before = values;
        values = values.replace(new RegExp(`^(  ${k}: ).*$`, 'm'), `$1${v}`);
        assert.notEqual(values, before, `vlans.yaml has ${k}`);
      }
      writeFileSync(join(dir, 'seed', 'vlans.yaml'), values);
      const objs = kustomize(join(dir, 'overlay'));
      for (const vlan of ['vlan100', 'vlan200']) {
        for (const kind of ['standalone', 'overlay']) {
          const conf = generated(objs, `macvlan-${kind}-${vlan}`);
          assert.equal(conf.name, `macvlan-${kind}-${vlan}`);
          assert.equal(conf.plugins[0]!['master'], EDITS[`${vlan}_master`]);
          assert.deepEqual(conf.plugins[1]!['hijackCIDR'], [
            EDITS['cluster_podCIDR'],
            EDITS['cluster_serviceCIDR'],
          ]);
        }
        const spec = find(objs, 'SpiderIPPool', `${vlan}-v4`)['spec'] as Record<string, unknown>;
        assert.equal(spec['subnet'], EDITS[`${vlan}_subnet`]);
        assert.equal(spec['gateway'], EDITS[`${vlan}_gateway`]);
        assert.deepEqual(spec['ips'], [EDITS[`${vlan}_range`]]);
      }
      const text = JSON.stringify(objs);
      for (const old of ['bond0.', '10.100.0.', '10.200.0.', '10.233.'])
        assert.ok(!text.includes(old), `no ${old} left after the edit`);
      assert.ok(
        !objs.some((o) => o.metadata.name === 'seed-vlans'),
        'vlans.yaml is local config, never applied',
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
