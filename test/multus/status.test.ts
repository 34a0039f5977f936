// network-status entries built from delegate results.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Result } from '../../src/cni/types.js';
import type { Delegate } from '../../src/multus/delegates.js';
import { buildNetworkStatus, networkStatusAnnotation } from '../../src/multus/status.js';

const delegate = (name: string, ifname: string, master: boolean): Delegate => ({
  name,
  ifname,
  master,
  config: { type: 'macvlan' },
  isList: false,
  overlay: false,
  origin: 'test',
  request: {},
  filterV4Gateway: false,
  filterV6Gateway: false,
});

describe('network-status', () => {
  test('one entry per delegate, field by field, exactly one default', () => {
    const r0: Result = {
      cniVersion: '1.0.0',
      interfaces: [{ name: 'eth0', mac: 'c2:00:00:00:00:01', mtu: 1500, sandbox: '/var/run/netns/p' }],
      ips: [
        { address: '10.100.0.10/24', gateway: '10.100.0.1', interface: 0 },
        { address: 'fd00:100::10/64', interface: 0 },
      ],
      routes: [
        { dst: '0.0.0.0/0', gw: '10.100.0.1' },
        { dst: '10.96.0.0/12', gw: '10.100.0.1' },
      ],
      dns: { nameservers: ['10.96.0.10'], search: ['svc.cluster.local'] },
    };
    const r1: Result = {
      cniVersion: '1.0.0',
      interfaces: [
        { name: 'bond0.200', mac: 'aa:aa:aa:aa:aa:aa' },
        { name: 'net1', mac: 'c2:00:00:00:00:02', sandbox: '/var/run/netns/p' },
      ],
      ips: [{ address: '10.200.0.7/24', interface: 1 }],
    };
    const entries = buildNetworkStatus([
      { delegate: delegate('kube-system/macvlan-standalone-vlan0', 'eth0', true), result: r0 },
      { delegate: delegate('kube-system/macvlan-overlay-vlan0', 'net1', false), result: r1 },
    ]);
    assert.deepEqual(entries, [
      {
        name: 'kube-system/macvlan-standalone-vlan0',
        interface: 'eth0',
        ips: ['10.100.0.10', 'fd00:100::10'],
        mac: 'c2:00:00:00:00:01',
        mtu: 1500,
        default: true,
        dns: { nameservers: ['10.96.0.10'], search: ['svc.cluster.local'] },
        gateway: ['10.100.0.1'],
      },
      {
        name: 'kube-system/macvlan-overlay-vlan0',
        interface: 'net1',
        ips: ['10.200.0.7'],
        mac: 'c2:00:00:00:00:02',
        default: false,
        dns: {},
      },
    ]);
    assert.equal(entries.filter((e) => e.default).length, 1);
    assert.deepEqual(JSON.parse(networkStatusAnnotation(entries)), entries);
  });

  test('a result without interfaces gets no entry (CreateNetworkStatuses)', () => {
    const entries = buildNetworkStatus([
      {
        delegate: delegate('ns/a', 'eth0', true),
        result: { cniVersion: '0.2.0', ips: [{ address: '10.0.0.2/24' }] },
      },
    ]);
    assert.deepEqual(entries, []);
  });

  test('several pod interfaces in one result: the gateway interface is the default one', () => {
    const entries = buildNetworkStatus([
      {
        delegate: delegate('ns/multi', 'eth0', true),
        result: {
          cniVersion: '1.0.0',
          interfaces: [
            { name: 'eth0', sandbox: '/n' },
            { name: 'eth1', sandbox: '/n' },
          ],
          ips: [
            { address: '10.0.0.2/24', interface: 0 },
            { address: '10.1.0.2/24', gateway: '10.1.0.1', interface: 1 },
          ],
        },
      },
    ]);
    assert.deepEqual(
      entries.map((e) => [e.interface, e.ips, e.default]),
      [
        ['eth0', ['10.0.0.2'], false],
        ['eth1', ['10.1.0.2'], true],
      ],
    );
  });
});
