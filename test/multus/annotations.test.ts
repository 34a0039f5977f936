// The pod annotation parser against Multus's documented forms and validation rules.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { CniError } from '../../src/cni/errors.js';
import {
  checkDefaultRouteRequests,
  type NetworkSelection,
  parseDefaultNetworkAnnotation,
  parseNetworksAnnotation,
} from '../../src/multus/annotations.js';

const valid: [string, string, NetworkSelection[]][] = [
  ['blank means no networks', '  ', []],
  ['bare name in the pod namespace', 'macvlan-conf', [{ name: 'macvlan-conf', namespace: 'team-a' }]],
  [
    'namespace, interface and whitespace around items',
    'net-a, kube-system/net-b ,other/net-c@eth5',
    [
      { name: 'net-a', namespace: 'team-a' },
      { name: 'net-b', namespace: 'kube-system' },
      { name: 'net-c', namespace: 'other', interface: 'eth5' },
    ],
  ],
  [
    'seed annotation',
    'kube-system/macvlan-overlay-vlan0',
    [{ name: 'macvlan-overlay-vlan0', namespace: 'kube-system' }],
  ],
  [
    'the same network twice is two attachments',
    'net1,net1',
    [
      { name: 'net1', namespace: 'team-a' },
      { name: 'net1', namespace: 'team-a' },
    ],
  ],
  [
    'JSON form with every request key',
    JSON.stringify([
      {
        name: 'macvlan-conf',
        namespace: 'kube-system',
        interface: 'eth1',
        ips: ['10.1.1.11/24', 'fd00::11'],
        mac: 'c2:b0:57:49:47:f1',
        'default-route': ['10.1.1.1'],
        'cni-args': { foo: 'bar', n: 1 },
        portMappings: [{ hostPort: 8080, containerPort: 80, protocol: 'tcp' }],
        bandwidth: { ingressRate: 1000, egressRate: 2000 },
        'infiniband-guid': 'c2:11:22:33:44:55:66:77',
        'ipam-claim-reference': 'claim-1',
      },
    ]),
    [
      {
        name: 'macvlan-conf',
        namespace: 'kube-system',
        interface: 'eth1',
        ips: ['10.1.1.11/24', 'fd00::11'],
        mac: 'c2:b0:57:49:47:f1',
        defaultRoute: ['10.1.1.1'],
        cniArgs: { foo: 'bar', n: 1 },
        portMappings: [{ hostPort: 8080, containerPort: 80, protocol: 'tcp' }],
        bandwidth: { ingressRate: 1000, egressRate: 2000 },
        infinibandGuid: 'c2:11:22:33:44:55:66:77',
        ipamClaimReference: 'claim-1',
      },
    ],
  ],
  [
    'JSON duplicates and the pre-3.2 "interfaceRequest" key',
    '[{"name":"net1"},{"name":"net1","interfaceRequest":"data0"}]',
    [
      { name: 'net1', namespace: 'team-a' },
      { name: 'net1', namespace: 'team-a', interface: 'data0' },
    ],
  ],
  [
    'JSON null optional fields are absent',
    '[{"name":"n","mac":null,"cni-args":null}]',
    [{ name: 'n', namespace: 'team-a' }],
  ],
];

const invalid: [string, string, RegExp][] = [
  ['two slashes', 'a/b/c', /entry 1 \("a\/b\/c"\): .*more than one '\/'/],
  ['two @', 'net@eth1@x', /more than one '@'/],
  ['upper case name', 'Net1', /network name "Net1" must consist of lower case/],
  ['leading dash', 'ns/-net', /network name "-net"/],
  ['underscore in namespace', 'my_ns/net', /namespace "my_ns"/],
  ['trailing dash', 'net-', /network name "net-"/],
  ['empty item', 'net1,,net2', /entry 2 \(""\): network name is empty/],
  [
    'interface name too long',
    'net1@abcdefghijklmnop',
    /interface name "abcdefghijklmnop" is 16 characters long, at most 15/,
  ],
  ['interface name with whitespace', 'net1@ et h0', /interface name "et h0" contains/],
  ['broken JSON', '[{"name":"x"', /not valid JSON/],
  ['JSON object instead of a list', '{"name":"x"}', /expected a JSON list/],
  ['JSON entry without name', '[{"namespace":"x"}]', /entry 1 .*"name" is required/],
  ['JSON entry that is not an object', '["net1"]', /entry 1 \("net1"\): expected an object/],
  ['JSON name that cannot name an object', '[{"name":"A_b"}]', /network name "A_b" cannot name/],
  [
    'JSON bad MAC',
    '[{"name":"a","mac":"zz:11:22:33:44:55"}]',
    /"mac" "zz:11:22:33:44:55" is not a MAC address/,
  ],
  ['JSON bad IP', '[{"name":"a","ips":["10.1.1.300"]}]', /"ips" entry "10.1.1.300" is not an IP/],
  ['JSON bad CIDR', '[{"name":"a","ips":["10.1.1.1/33"]}]', /"ips" entry "10.1.1.1\/33"/],
  ['JSON ips not a list', '[{"name":"a","ips":"10.1.1.1"}]', /"ips" must be a list of strings/],
  [
    'JSON bad default-route',
    '[{"name":"a","default-route":["gw"]}]',
    /"default-route" entry "gw" is not an IP/,
  ],
  ['JSON cni-args not an object', '[{"name":"a","cni-args":"x"}]', /"cni-args" must be an object/],
  ['JSON interface with slash', '[{"name":"a","interface":"a/b"}]', /interface name "a\/b" contains/],
  [
    'JSON bad portMappings',
    '[{"name":"a","portMappings":[{"hostPort":"80"}]}]',
    /portMappings entry must be/,
  ],
  [
    'JSON bad bandwidth',
    '[{"name":"a","bandwidth":{"ingressRate":"fast"}}]',
    /"bandwidth" must be an object/,
  ],
  [
    'JSON second entry bad',
    '[{"name":"ok"},{"name":"a","interface":"toolonginterface"}]',
    /entry 2 .*is 16 characters/,
  ],
];

describe('k8s.v1.cni.cncf.io/networks', () => {
  for (const [what, value, want] of valid) {
    test(`valid: ${what}`, () => {
      assert.deepEqual(parseNetworksAnnotation(value, 'team-a', 'team-a/pod'), want);
    });
  }
  for (const [what, value, want] of invalid) {
    test(`invalid: ${what}`, () => {
      assert.throws(
        () => parseNetworksAnnotation(value, 'team-a', 'team-a/pod'),
        (e: unknown) => {
          assert.ok(e instanceof CniError);
          assert.equal(e.code, 7);
          assert.match(
            e.message,
            /^invalid k8s\.v1\.cni\.cncf\.io\/networks annotation on pod team-a\/pod: /,
          );
          assert.match(e.message, want);
          return true;
        },
      );
    });
  }
});

describe('v1.multus-cni.io/default-network', () => {
  test('namespace defaults to multusNamespace, not the pod namespace', () => {
    assert.deepEqual(parseDefaultNetworkAnnotation('macvlan-standalone-vlan0', 'kube-system'), {
      name: 'macvlan-standalone-vlan0',
      namespace: 'kube-system',
    });
    assert.deepEqual(parseDefaultNetworkAnnotation('team-a/x@eth9', 'kube-system'), {
      name: 'x',
      namespace: 'team-a',
      interface: 'eth9',
    });
    assert.deepEqual(parseDefaultNetworkAnnotation('[{"name":"y"}]', 'mns'), { name: 'y', namespace: 'mns' });
  });
  for (const [value, want] of [
    ['a,b', /expected exactly one network, found 2/],
    ['', /empty, expected one network name/],
    ['[]', /found 0/],
    ['Bad', /network name "Bad"/],
  ] as const) {
    test(`invalid: ${JSON.stringify(value)}`, () => {
      assert.throws(
        () => parseDefaultNetworkAnnotation(value, 'kube-system', 'ns/p'),
        (e: unknown) =>
          e instanceof CniError &&
          e.code === 7 &&
          /v1\.multus-cni\.io\/default-network annotation on pod ns\/p/.test(e.message) &&
          want.test(e.message),
      );
    });
  }
});

describe('default-route requests', () => {
  test('one gateway per family over all attachments is fine', () => {
    checkDefaultRouteRequests([
      { name: 'a', defaultRoute: ['10.0.0.1'] },
      { name: 'b', defaultRoute: ['fd00::1'] },
      { name: 'c' },
    ]);
  });
  test('two IPv4 gateways (even on different networks) are rejected, naming both', () => {
    assert.throws(
      () =>
        checkDefaultRouteRequests(
          [
            { name: 'ns/a', defaultRoute: ['10.0.0.1'] },
            { name: 'ns/b', defaultRoute: ['10.1.0.1'] },
          ],
          'ns/pod',
        ),
      /2 IPv4 gateways \(10\.0\.0\.1 \(ns\/a\), 10\.1\.0\.1 \(ns\/b\)\); at most one per family/,
    );
    assert.throws(
      () => checkDefaultRouteRequests([{ name: 'a', defaultRoute: ['fd00::1', 'fd00::2'] }]),
      /2 IPv6 gateways/,
    );
  });
});
