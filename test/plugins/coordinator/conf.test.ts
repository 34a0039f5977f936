// Configuration, naming and the pod MAC of the coordinator (no namespaces needed).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseCniArgs } from '../../../src/cni/args.js';
import { CniError } from '../../../src/cni/errors.js';
import type { CniEnv, NetConf } from '../../../src/cni/types.js';
import { nicConfig } from '../../../src/plugins/coordinator/attachment.js';
import { loadConf, nodeCidrs, parseDuration } from '../../../src/plugins/coordinator/conf.js';
import { prefixedMac } from '../../../src/plugins/coordinator/ipnet.js';
import { hostVethName, tableFor } from '../../../src/plugins/coordinator/node.js';

const env: CniEnv = {
  command: 'ADD',
  containerId: 'c',
  netns: '/var/run/netns/x',
  ifname: 'eth0',
  args: parseCniArgs(''),
  path: [],
};
const raw = (o: Record<string, unknown> = {}): NetConf => ({
  cniVersion: '1.0.0',
  name: 'n',
  type: 'trunkline-coordinator',
  ...o,
});
const invalid = (o: Record<string, unknown>, re: RegExp) =>
  assert.throws(
    () => loadConf(raw(o), env),
    (e: unknown) => e instanceof CniError && e.code === 7 && re.test(`${e.message} ${e.details ?? ''}`),
  );

describe('coordinator loadConf', () => {
  it('applies Spiderpool defaults', () => {
    const c = loadConf(raw(), env);
    assert.equal(c.mode, 'auto');
    assert.equal(c.podCIDRType, 'cluster');
    assert.equal(c.hostRuleTable, 500);
    assert.equal(c.podRPFilter, 0);
    assert.equal(c.hostRPFilter, -1);
    assert.equal(c.vethMTU, 1500);
    assert.equal(c.tunePodRoutes, true);
    assert.equal(c.policyRoutes, true);
    assert.equal(c.podDefaultCniNic, 'eth0');
    assert.equal(c.multusNicPrefix, 'net');
    assert.equal(c.detectIPConflict, false);
    assert.equal(c.detectGateway, false);
    assert.deepEqual(c.detect, { retries: 3, intervalMs: 10, timeoutMs: 100 });
    assert.equal(c.podDefaultRouteNic, undefined);
  });

  it('accepts the CRD/IPAM spellings and "disable"', () => {
    const c = loadConf(
      raw({
        mode: 'disable',
        podDefaultRouteNIC: 'net1',
        enableIPConflictDetection: true,
        enableGatewayDetection: true,
        podMACPrefix: '0A-1B',
        detectOptions: { retries: 5, interval: '20ms', timeout: '1s' },
      }),
      env,
    );
    assert.equal(c.mode, 'disabled');
    assert.equal(c.podDefaultRouteNic, 'net1');
    assert.equal(c.detectIPConflict, true);
    assert.equal(c.detectGateway, true);
    assert.equal(c.podMACPrefix, '0a:1b');
    assert.deepEqual(c.detect, { retries: 5, intervalMs: 20, timeoutMs: 1000 });
  });

  it('routes overlay pod CIDRs only when podCIDRType is not none', () => {
    const base = {
      overlayPodCIDR: ['10.244.0.0/16'],
      serviceCIDR: ['10.96.0.0/12'],
      hijackCIDR: [' 169.254.20.10/32 '],
    };
    assert.deepEqual(nodeCidrs(loadConf(raw(base), env)), [
      '10.244.0.0/16',
      '10.96.0.0/12',
      '169.254.20.10/32',
    ]);
    assert.deepEqual(nodeCidrs(loadConf(raw({ ...base, podCIDRType: 'none' }), env)), [
      '10.96.0.0/12',
      '169.254.20.10/32',
    ]);
  });

  it('rejects invalid values with what was expected', () => {
    invalid({ mode: 'bridge' }, /expected one of auto, underlay, overlay/);
    invalid({ podCIDRType: 'flannel' }, /podCIDRType/);
    invalid({ serviceCIDR: ['10.96.0.0'] }, /invalid CIDR in "serviceCIDR"/);
    invalid({ hijackCIDR: '10.0.0.0/8' }, /must be an array/);
    invalid({ hostRuleTable: 254 }, /other than 0, 253/);
    invalid({ podRPFilter: 3 }, /-1 \(leave alone\), 0, 1 or 2/);
    invalid({ vethMTU: 10 }, /68\.\.65535/);
    invalid({ podMACPrefix: '0b:1b' }, /first byte must be even/);
    invalid({ podMACPrefix: 'zz:00' }, /podMACPrefix/);
    invalid({ vethLinkAddress: '169.254.0.1/32' }, /expected an IP address/);
    invalid({ tunePodRoutes: 'yes' }, /must be a boolean/);
    invalid({ podDefaultRouteNic: 'net1', podDefaultRouteNIC: 'net2' }, /disagree/);
    invalid({ detectOptions: { timeout: '100' } }, /duration/);
    invalid({ detectOptions: { retries: -1 } }, /retries/);
  });

  it('parses Go durations', () => {
    assert.equal(parseDuration('100ms', 't'), 100);
    assert.equal(parseDuration('1m30s', 't'), 90_000);
    assert.equal(parseDuration('1.5s', 't'), 1500);
    assert.throws(() => parseDuration('1x', 't'));
  });
});

describe('coordinator naming and addresses', () => {
  const conf = loadConf(raw(), env);
  it('numbers tables like Spiderpool: eth0 → main, net1 → 100, net2 → 101', () => {
    assert.equal(tableFor('eth0', conf), 254);
    assert.equal(tableFor('net1', conf), 100);
    assert.equal(tableFor('net2', conf), 101);
    assert.throws(() => tableFor('macvlan0', conf), /routing table for interface "macvlan0"/);
    assert.throws(() => tableFor('net0', conf), /cannot choose a routing table/);
    assert.equal(tableFor('eno3', loadConf(raw({ multusNicPrefix: 'eno' }), env)), 102);
  });

  it('names the host veth after the container ID', () => {
    assert.equal(hostVethName('0123456789abcdef'), 'veth0123456789a');
    assert.equal(hostVethName('abc'), 'vethabc');
  });

  it('derives the fixed MAC from the prefix and the address', () => {
    assert.equal(prefixedMac('0a:1b', '10.10.0.41'), '0a:1b:0a:0a:00:29');
    assert.equal(prefixedMac('02:00', 'fd00::c0a8:101'), '02:00:c0:a8:01:01');
  });

  it('takes only this NIC’s addresses and gateways from prevResult', () => {
    const prev = {
      cniVersion: '1.0.0',
      interfaces: [
        { name: 'eth0', sandbox: '/var/run/netns/x' },
        { name: 'net1', sandbox: '/var/run/netns/x' },
      ],
      ips: [
        { address: '10.244.1.5/32', interface: 0 },
        { address: '10.10.0.23/24', gateway: '10.10.0.1', interface: 1 },
        { address: 'fd00::23/64', gateway: 'fd00::1', interface: 1 },
      ],
    };
    const t = { netns: '/var/run/netns/x', ifname: 'net1', containerId: 'c' };
    assert.deepEqual(nicConfig(prev, t), {
      ips: ['10.10.0.23/24', 'fd00::23/64'],
      gateways: { 4: '10.10.0.1', 6: 'fd00::1' },
    });
    assert.deepEqual(nicConfig(undefined, t), { ips: [], gateways: {} });
  });
});
