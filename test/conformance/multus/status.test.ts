// Multus conformance, in-process: the network-status entries Multus writes, which come from
// network-attachment-definition-client's CreateNetworkStatuses / CreateNetworkStatus
// (pkg/utils/net-attach-def.go), case by case from pkg/utils/net-attach-def_test.go at the commit
// pinned in pin.ts.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Result } from '../../../src/cni/types.js';
import type { Delegate } from '../../../src/multus/delegates.js';
import { type NetworkStatus, networkStatusFor } from '../../../src/multus/status.js';
import { cite } from './pin.js';

const T = 'pkg/utils/net-attach-def_test.go';
const NS = '/var/run/netns/pod';

const delegate = (master: boolean): Delegate => ({
  name: 'ns/test-net',
  ifname: master ? 'eth0' : 'net1',
  master,
  config: { type: 'macvlan' },
  isList: false,
  overlay: false,
  origin: 'test',
  request: {},
  filterV4Gateway: false,
  filterV6Gateway: false,
});

const single: Result = {
  cniVersion: '1.0.0',
  interfaces: [{ name: 'net1', mac: '92:79:27:01:7c:cf', sandbox: '/proc/1123/ns/net', mtu: 9000 }],
  ips: [{ address: '1.1.1.3/24' }, { address: '2001::1/64' }],
};

const pick = (s: NetworkStatus[], k: keyof NetworkStatus) => s.map((e) => e[k]);

describe('Multus conformance: network-status (network-attachment-definition-client)', () => {
  test(
    cite(
      'one sandboxed interface: name, interface, mtu, mac and every IP',
      `${T} "create network status from cni result"`,
    ),
    () => {
      assert.deepEqual(networkStatusFor(delegate(false), single), [
        {
          name: 'ns/test-net',
          interface: 'net1',
          ips: ['1.1.1.3', '2001::1'],
          mac: '92:79:27:01:7c:cf',
          mtu: 9000,
          default: false,
          dns: {},
        },
      ]);
    },
  );
  test(cite('no default route, no gateway', `${T} "the network status do **not** report a gateway"`), () => {
    assert.equal(networkStatusFor(delegate(false), single)[0]!.gateway, undefined);
  });
  test(
    cite('device info is carried as device-info', `${T} When "DeviceInfo is used as an attribute"`),
    () => {
      const info = {
        type: 'pci',
        version: 'v1.1.0',
        pci: {
          'pci-address': '0000:01:02.2',
          'pf-pci-address': '0000:01:02.0',
          'representor-device': 'eth3',
        },
      };
      assert.deepEqual(networkStatusFor(delegate(false), single, info)[0]!['device-info'], info);
    },
  );
  test(cite('a default route reports its gateway', `${T} "the network status report a gateway"`), () => {
    const s = networkStatusFor(delegate(false), {
      ...single,
      routes: [{ dst: '0.0.0.0/0', gw: '10.10.10.10' }],
    });
    assert.deepEqual(s[0]!.gateway, ['10.10.10.10']);
  });
  test(
    cite(
      'several default routes report every gateway',
      `${T} "the network status handles multiple default routes"`,
    ),
    () => {
      const s = networkStatusFor(delegate(false), {
        ...single,
        routes: [
          { dst: '0.0.0.0/0', gw: '10.10.10.10' },
          { dst: '::/0', gw: '2001::20' },
        ],
      });
      assert.deepEqual(s[0]!.gateway, ['10.10.10.10', '2001::20']);
    },
  );
  test(
    cite(
      'a non-default route reports no gateway',
      `${T} "the network status **should not** report a gateway"`,
    ),
    () => {
      const s = networkStatusFor(delegate(false), {
        ...single,
        routes: [{ dst: '10.10.10.0/24', gw: '10.10.10.10' }],
      });
      assert.equal(s[0]!.gateway, undefined);
    },
  );
  test(
    cite(
      'the cluster network: the interface with the gateway IP is the default one',
      `${T} "matches default=true when gateway is present for an interface"`,
    ),
    () => {
      const s = networkStatusFor(delegate(true), {
        cniVersion: '1.0.0',
        interfaces: [
          { name: '0xsomething', mac: 'be:ee:ee:ee:ee:ef' },
          { name: 'eth0', mac: 'b1:aa:aa:aa:a5:ee', sandbox: NS },
          { name: '0xotherthing', mac: 'b0:00:00:00:00:0f' },
          { name: 'other-primary', mac: 'c0:00:00:00:00:01', sandbox: NS },
        ],
        ips: [
          { interface: 1, address: '10.244.1.6/24' },
          { interface: 3, address: '10.20.1.3/24', gateway: '10.20.1.1' },
        ],
      });
      assert.deepEqual(pick(s, 'interface'), ['eth0', 'other-primary']);
      assert.deepEqual(pick(s, 'default'), [false, true]);
      assert.deepEqual(pick(s, 'ips'), [['10.244.1.6'], ['10.20.1.3']]);
    },
  );
  test(
    cite(
      'one sandbox interface among two: IPs without an index go to it',
      `${T} When "one sandbox interface is specified"`,
    ),
    () => {
      const s = networkStatusFor(delegate(false), {
        cniVersion: '1.0.0',
        interfaces: [{ name: 'eth0', mac: '00:aa:bb:cc:dd:01', sandbox: NS }, { name: 'foo' }],
        ips: [{ address: '192.0.2.1/24' }],
      });
      assert.deepEqual([pick(s, 'interface'), pick(s, 'ips')], [['eth0'], [['192.0.2.1']]]);
    },
  );
  test(
    cite(
      'two sandbox interfaces: IPs without an index go to the last one',
      `${T} When "two sandbox interfaces are specified"`,
    ),
    () => {
      const s = networkStatusFor(delegate(false), {
        cniVersion: '1.0.0',
        interfaces: [{ name: 'foo' }, { name: 'eth0', sandbox: NS }, { name: 'eth1', sandbox: NS }],
        ips: [{ address: '192.0.2.1/24' }],
      });
      assert.deepEqual(
        [pick(s, 'interface'), pick(s, 'ips')],
        [
          ['eth0', 'eth1'],
          [undefined, ['192.0.2.1']],
        ],
      );
    },
  );
  test(
    cite(
      'a secondary network: interfaces without a sandbox are left out, none is default',
      `${T} Context "for a secondary network" "excludes interfaces without a sandbox"`,
    ),
    () => {
      const s = networkStatusFor(delegate(false), {
        cniVersion: '1.1.0',
        interfaces: [{ name: 'host-side' }, { name: 'net1', sandbox: NS }, { name: 'net2', sandbox: NS }],
        ips: [
          { interface: 1, address: '10.0.0.2/24', gateway: '10.0.0.1' },
          { interface: 2, address: '10.0.1.2/24' },
        ],
      });
      assert.deepEqual(
        [pick(s, 'interface'), pick(s, 'default')],
        [
          ['net1', 'net2'],
          [false, false],
        ],
      );
    },
  );
  test(
    cite(
      'the cluster network without a gateway IP: the first sandbox interface is default',
      `${T} Context "for the cluster default network" "creates network statuses for interfaces with sandbox"`,
    ),
    () => {
      const s = networkStatusFor(delegate(true), {
        cniVersion: '1.1.0',
        interfaces: [{ name: 'host-side' }, { name: 'eth0', sandbox: NS }, { name: 'eth1', sandbox: NS }],
        ips: [
          { interface: 1, address: '10.0.0.2/24' },
          { interface: 2, address: '10.0.1.2/24' },
        ],
      });
      assert.deepEqual(pick(s, 'default'), [true, false]);
    },
  );
  test(
    cite(
      'a single interface without sandbox info still gives one entry, without an interface name',
      `${T} Context "create network statuses for a single interface which omits the sandbox info"`,
    ),
    () => {
      const s = networkStatusFor(delegate(false), {
        cniVersion: '1.0.0',
        interfaces: [{ name: 'net1', mac: '00:aa:bb:cc:dd:02' }],
        ips: [{ address: '192.0.2.9/24' }],
      });
      assert.deepEqual(s, [{ name: 'ns/test-net', ips: ['192.0.2.9'], default: false, dns: {} }]);
    },
  );
  test(
    cite('no interface at all: no entry', `${T} CreateNetworkStatuses (len(Interfaces) != 1, no sandbox)`),
    () => {
      assert.deepEqual(
        networkStatusFor(delegate(false), { cniVersion: '1.0.0', ips: [{ address: '192.0.2.9/24' }] }),
        [],
      );
    },
  );
  test(cite('DNS is carried over', `${T} "test convertDNS"`), () => {
    const s = networkStatusFor(delegate(false), {
      ...single,
      dns: { nameservers: ['1.2.3.4'], domain: 'x.local', search: ['a'], options: ['ndots:2'] },
    });
    assert.deepEqual(s[0]!.dns, {
      nameservers: ['1.2.3.4'],
      domain: 'x.local',
      search: ['a'],
      options: ['ndots:2'],
    });
  });
});
