// What runtimes outside Kubernetes pass to trunkline-ipam: podman's CNI_ARGS IP= (--ip), the "ips"
// capability, and one stateDir that places the SQLite database with the rest of the host's state.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseCniArgs } from '../../../src/cni/args.js';
import type { CniEnv, NetConf } from '../../../src/cni/types.js';
import { loadConf } from '../../../src/plugins/ipam/conf.js';

const env = (args: string): CniEnv => ({
  command: 'ADD',
  containerId: 'c1',
  netns: '/run/netns/x',
  ifname: 'eth0',
  args: parseCniArgs(args),
  path: [],
});
const conf = (ipam: Record<string, unknown>, runtimeConfig?: Record<string, unknown>): NetConf =>
  ({
    cniVersion: '1.0.0',
    name: 'vlan100',
    type: 'trunkline-macvlan',
    ipam: { type: 'trunkline-ipam', ...ipam },
    ...(runtimeConfig ? { runtimeConfig } : {}),
  }) as NetConf;

describe('trunkline-ipam: runtime arguments', () => {
  it('CNI_ARGS IP= (one or a comma list) joins runtimeConfig.ips, the same address once', () => {
    assert.deepEqual(
      loadConf(conf({}), env('IgnoreUnknown=1;K8S_POD_NAME=web;IP=10.100.0.120')).resolved.requestedIps,
      ['10.100.0.120'],
    );
    assert.deepEqual(
      loadConf(conf({}, { ips: ['10.100.0.120/24'] }), env('IP=10.100.0.120,fd00::5')).resolved.requestedIps,
      ['10.100.0.120/24', 'fd00::5'],
    );
    assert.deepEqual(loadConf(conf({}), env('IgnoreUnknown=1')).resolved.requestedIps, []);
  });

  it('stateDir places the SQLite database unless the store names a path', () => {
    assert.deepEqual(loadConf(conf({ stateDir: '/srv/tl' }), env('')).resolved.store, {
      type: 'sqlite',
      path: '/srv/tl/ipam.db',
    });
    assert.deepEqual(
      loadConf(conf({ stateDir: '/srv/tl', store: { path: '/db/x.db' } }), env('')).resolved.store,
      {
        type: 'sqlite',
        path: '/db/x.db',
      },
    );
    assert.equal(loadConf(conf({}), env('')).resolved.store.type, 'sqlite');
    assert.equal((loadConf(conf({}), env('')).resolved.store as { path?: string }).path, undefined);
  });
});
