// The meta plugin config: 00-multus.conf fields, defaults, and code 7 on bad values.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { CniError } from '../../src/cni/errors.js';
import { loadMultusConf } from '../../src/multus/config.js';

const base = { cniVersion: '1.0.0', name: 'trunkline', type: 'trunkline' };

describe('loadMultusConf', () => {
  test('defaults as Multus', () => {
    const c = loadMultusConf({ ...base, clusterNetwork: 'k8s-pod-network' });
    assert.equal(c.multusNamespace, 'kube-system');
    assert.equal(c.confDir, '/etc/cni/multus/net.d');
    assert.equal(c.cniDir, '/var/lib/cni/multus');
    assert.equal(c.binDir, '/opt/cni/bin');
    assert.deepEqual(c.systemNamespaces, ['kube-system']);
    assert.deepEqual(c.nonIsolatedNamespaces, ['default']);
    assert.deepEqual(c.defaultNetworks, []);
    assert.equal(c.namespaceIsolation, false);
    assert.equal(c.readinessTimeoutSeconds, 45);
    assert.deepEqual(c.source, { type: 'local', manifestDir: '/etc/trunkline', podNamespace: 'default' });
    assert.equal(c.kubeconfig, undefined);
  });

  test('a full 00-multus.conf', () => {
    const c = loadMultusConf({
      ...base,
      clusterNetwork: 'macvlan-standalone-vlan0',
      defaultNetworks: ['extra'],
      systemNamespaces: ['kube-system', 'infra'],
      namespaceIsolation: true,
      globalNamespaces: 'default,shared',
      multusNamespace: 'net-system',
      confDir: '/tmp/confd',
      cniDir: '/tmp/cache',
      binDir: '/tmp/bin',
      readinessindicatorfile: '/run/ready',
      kubeconfig: '/etc/cni/net.d/multus.d/multus.kubeconfig',
      logLevel: 'verbose',
      logFile: '/var/log/trunkline.log',
      clusterNetworkUnknownField: 1,
    });
    assert.deepEqual(c.nonIsolatedNamespaces, ['default', 'shared']);
    assert.equal(c.source.type, 'kubernetes', 'a kubeconfig implies the Kubernetes source');
    assert.equal(c.readinessindicatorfile, '/run/ready');
    assert.equal(c.multusNamespace, 'net-system');
    assert.equal(c.clusterNetworkUnknownField, 1, 'unknown fields pass through');
  });

  test('source may be chosen explicitly; blank optional strings are absent', () => {
    const c = loadMultusConf({
      ...base,
      delegates: [{ type: 'ptp' }],
      clusterNetwork: '',
      source: { manifestDir: '/srv/m' },
    });
    assert.deepEqual(c.source, { type: 'local', manifestDir: '/srv/m', podNamespace: 'default' });
    assert.equal('clusterNetwork' in c, false);
  });

  const invalid: [string, Record<string, unknown>, RegExp][] = [
    ['neither clusterNetwork nor delegates', {}, /at least one of "clusterNetwork" or "delegates"/],
    ['clusterNetwork not a string', { clusterNetwork: 3 }, /"clusterNetwork" must be a string, found 3/],
    [
      'defaultNetworks not a list',
      { clusterNetwork: 'c', defaultNetworks: 'a' },
      /"defaultNetworks" must be a list/,
    ],
    [
      'namespaceIsolation not a boolean',
      { clusterNetwork: 'c', namespaceIsolation: 'yes' },
      /"namespaceIsolation" must be true or false/,
    ],
    [
      'globalNamespaces with a bad name',
      { clusterNetwork: 'c', globalNamespaces: 'ok,Bad' },
      /"globalNamespaces"/,
    ],
    [
      'relative confDir',
      { clusterNetwork: 'c', confDir: 'etc/x' },
      /"confDir" must be an absolute path, found "etc\/x"/,
    ],
    [
      'bad source type',
      { clusterNetwork: 'c', source: { type: 'etcd' } },
      /"source.type" must be "local" or "kubernetes"/,
    ],
    [
      'negative readiness timeout',
      { clusterNetwork: 'c', readinessTimeoutSeconds: -1 },
      /"readinessTimeoutSeconds"/,
    ],
    ['delegates not configs', { delegates: ['x'] }, /"delegates" must be a list of CNI configs/],
    [
      'negative logOptions.maxSize',
      { clusterNetwork: 'c', logOptions: { maxSize: -1 } },
      /"logOptions.maxSize" must be an integer >= 0/,
    ],
    [
      'logOptions.compress not a boolean',
      { clusterNetwork: 'c', logOptions: { compress: 'yes' } },
      /"logOptions.compress" must be true or false/,
    ],
    [
      'logToStderr not a boolean',
      { clusterNetwork: 'c', logToStderr: 'no' },
      /"logToStderr" must be true or false/,
    ],
    [
      'relative deviceInfoDir',
      { clusterNetwork: 'c', deviceInfoDir: 'run/devinfo' },
      /"deviceInfoDir" must be an absolute path/,
    ],
  ];
  for (const [what, extra, want] of invalid) {
    test(`invalid: ${what}`, () => {
      assert.throws(
        () => loadMultusConf({ ...base, ...extra }),
        (e: unknown) => e instanceof CniError && e.code === 7 && want.test(e.message),
      );
    });
  }
});
