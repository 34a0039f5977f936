// The table of invalid objects (each with the message kubectl must print) and their valid
// counterparts, against the fixtures below.
type Rec = Record<string, unknown>;

export const pool = (name: string, spec: Rec, status?: Rec) => ({
  apiVersion: 'spiderpool.spidernet.io/v2beta1',
  kind: 'SpiderIPPool',
  metadata: { name },
  spec,
  ...(status ? { status } : {}),
});
const rip = (name: string, spec: Rec) => ({
  apiVersion: 'spiderpool.spidernet.io/v2beta1',
  kind: 'SpiderReservedIP',
  metadata: { name },
  spec,
});
export const nad = (
  namespace: string,
  name: string,
  config: unknown,
  annotations?: Record<string, string>,
) => ({
  apiVersion: 'k8s.cni.cncf.io/v1',
  kind: 'NetworkAttachmentDefinition',
  metadata: { name, namespace, ...(annotations ? { annotations } : {}) },
  spec: { config: typeof config === 'string' ? config : JSON.stringify(config) },
});
export const pod = (
  namespace: string,
  name: string,
  annotations: Record<string, string>,
  labels: Record<string, string> = {},
) => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace, annotations, labels },
  spec: { containers: [{ name: 'c', image: 'example/app' }] },
});
const macvlan = (extra: Rec = {}) => ({
  cniVersion: '1.0.0',
  name: 'm',
  type: 'trunkline-macvlan',
  master: 'bond0.100',
  ipam: { type: 'trunkline-ipam' },
  ...extra,
});

export const FIXTURES = [
  { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'team-a', labels: { team: 'a' } } },
  { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'other' } },
  nad('default', 'macvlan-100', macvlan()),
  nad('other', 'private-net', macvlan()),
  nad('kube-system', 'underlay', macvlan()),
  nad('kube-system', 'overlay', macvlan(), { 'trunkline.io/network-mode': 'overlay' }),
  pool('base-v4', { ipVersion: 4, subnet: '10.7.0.0/24', ips: ['10.7.0.10-10.7.0.50'] }),
  pool('web-pool', {
    ipVersion: 4,
    subnet: '10.9.0.0/24',
    ips: ['10.9.0.10'],
    podAffinity: { matchLabels: { app: 'web' } },
  }),
  pool('team-pool', { ipVersion: 4, subnet: '10.10.0.0/24', ips: ['10.10.0.10'], namespaceName: ['team-a'] }),
  pool(
    'busy',
    { ipVersion: 4, subnet: '10.11.0.0/24', ips: ['10.11.0.10-10.11.0.20'] },
    {
      allocatedIPs: JSON.stringify({ '10.11.0.15': { pod: 'default/x', podUid: 'u' } }),
      allocatedIPCount: 1,
    },
  ),
];

const smcObj = (name: string, spec: Rec) => ({
  apiVersion: 'spiderpool.spidernet.io/v2beta1',
  kind: 'SpiderMultusConfig',
  metadata: { name, namespace: 'default' },
  spec,
});
const mv = (macvlan: Rec) => ({ cniType: 'macvlan', macvlan });

export interface Case {
  what: string;
  webhook: string;
  bad: Rec;
  expect: string;
  good: Rec;
}

const P = 'ippool.validate.trunkline.io';
const N = 'nad.validate.trunkline.io';
const D = 'pod.validate.trunkline.io';
const S = 'smc.validate.trunkline.io';
const NETS = 'k8s.v1.cni.cncf.io/networks';
const subnet = (i: number) => `10.20.${i}.0/24`;
const ip = (i: number, h: number) => `10.20.${i}.${h}`;
const p = (i: number, spec: Rec) => pool(`pool-${i}`, { subnet: subnet(i), ...spec });

export const CASES: Case[] = [
  {
    what: 'subnet prefix too long',
    webhook: P,
    bad: pool('pool-1', { subnet: '10.20.1.0/33' }),
    expect: 'spec.subnet',
    good: p(1, {}),
  },
  {
    what: 'subnet has host bits',
    webhook: P,
    bad: pool('pool-2', { subnet: '10.20.2.1/24' }),
    expect: 'has host bits set; write it as 10.20.2.0/24',
    good: p(2, {}),
  },
  {
    what: 'ip outside subnet',
    webhook: P,
    bad: p(3, { ips: ['10.99.0.5'] }),
    expect: 'spec.ips[0]: "10.99.0.5" is outside spec.subnet 10.20.3.0/24',
    good: p(3, { ips: [ip(3, 5)] }),
  },
  {
    what: 'ip malformed',
    webhook: P,
    bad: p(4, { ips: [ip(4, 5), '10.20.4.300'] }),
    expect: 'spec.ips[1]',
    good: p(4, { ips: [ip(4, 5), ip(4, 30)] }),
  },
  {
    what: 'range reversed',
    webhook: P,
    bad: p(5, { ips: [`${ip(5, 20)}-${ip(5, 10)}`] }),
    expect: 'spec.ips[0]',
    good: p(5, { ips: [`${ip(5, 10)}-${ip(5, 20)}`] }),
  },
  {
    what: 'ipVersion vs subnet',
    webhook: P,
    bad: p(6, { ipVersion: 6 }),
    expect: 'spec.ipVersion: is 6 but spec.subnet 10.20.6.0/24 is IPv4',
    good: p(6, { ipVersion: 4 }),
  },
  {
    what: 'IPv6 entry in IPv4 pool',
    webhook: P,
    bad: p(7, { ips: ['fd00::5'] }),
    expect: 'spec.ips[0]: "fd00::5" is IPv6, expected IPv4',
    good: p(7, { ips: [ip(7, 5)] }),
  },
  {
    what: 'gateway outside subnet',
    webhook: P,
    bad: p(8, { gateway: '10.99.0.1' }),
    expect: 'spec.gateway: 10.99.0.1 is outside spec.subnet 10.20.8.0/24',
    good: p(8, { gateway: ip(8, 1) }),
  },
  {
    what: 'gateway not an IP',
    webhook: P,
    bad: p(9, { gateway: 'router' }),
    expect: 'spec.gateway: "router" is not an IP address',
    good: p(9, { gateway: ip(9, 1) }),
  },
  {
    what: 'excludeIPs outside subnet',
    webhook: P,
    bad: p(10, { excludeIPs: ['10.99.0.1'] }),
    expect: 'spec.excludeIPs[0]',
    good: p(10, { excludeIPs: [ip(10, 1)] }),
  },
  {
    what: 'route dst malformed',
    webhook: P,
    bad: p(11, { routes: [{ dst: '10.30.0.0/99', gw: ip(11, 1) }] }),
    expect: 'spec.routes[0].dst',
    good: p(11, { routes: [{ dst: '10.30.0.0/16', gw: ip(11, 1) }] }),
  },
  {
    what: 'route gw outside subnet',
    webhook: P,
    bad: p(12, { routes: [{ dst: '10.30.0.0/16', gw: '10.99.0.1' }] }),
    expect: 'spec.routes[0].gw: 10.99.0.1 is outside spec.subnet',
    good: p(12, { routes: [{ dst: '10.30.0.0/16', gw: ip(12, 1) }] }),
  },
  {
    what: 'default route in routes',
    webhook: P,
    bad: p(13, { routes: [{ dst: '0.0.0.0/0', gw: ip(13, 1) }] }),
    expect: 'is a default route; set spec.gateway instead',
    good: p(13, { gateway: ip(13, 1) }),
  },
  {
    what: 'empty podAffinity',
    webhook: P,
    bad: p(14, { podAffinity: {} }),
    expect: 'spec.podAffinity: an empty selector is not allowed',
    good: p(14, { podAffinity: { matchLabels: { app: 'x' } } }),
  },
  {
    what: 'subnet overlaps another pool',
    webhook: P,
    bad: pool('pool-15', { subnet: '10.7.0.0/16' }),
    expect: 'spec.subnet: overlaps spec.subnet 10.7.0.0/24 of SpiderIPPool "base-v4"',
    good: pool('pool-15', { subnet: '10.8.0.0/16' }),
  },
  {
    what: 'same subnet, shared IPs',
    webhook: P,
    bad: pool('pool-16', { subnet: '10.7.0.0/24', ips: ['10.7.0.40-10.7.0.60'] }),
    expect: 'shares addresses 10.7.0.40-10.7.0.50 with SpiderIPPool "base-v4"',
    good: pool('pool-16', { subnet: '10.7.0.0/24', ips: ['10.7.0.51-10.7.0.60'] }),
  },
  {
    what: 'subnet change of a pool in use',
    webhook: P,
    bad: pool('busy', { ipVersion: 4, subnet: '10.12.0.0/24', ips: ['10.12.0.10'] }),
    expect:
      'spec.subnet: changed from 10.11.0.0/24 to 10.12.0.0/24, expected unchanged while pool "busy" has 1 allocated address(es)',
    good: pool('busy', { ipVersion: 4, subnet: '10.11.0.0/24', ips: ['10.11.0.10-10.11.0.30'] }),
  },
  {
    what: 'shrink below allocated',
    webhook: P,
    bad: pool('busy', { ipVersion: 4, subnet: '10.11.0.0/24', ips: ['10.11.0.16-10.11.0.20'] }),
    expect: 'spec.ips: no longer contains allocated address(es) 10.11.0.15',
    good: pool('busy', { ipVersion: 4, subnet: '10.11.0.0/24', ips: ['10.11.0.15-10.11.0.20'] }),
  },
  {
    what: 'reserved ipVersion',
    webhook: P,
    bad: rip('rip-1', { ipVersion: 5, ips: ['10.20.40.1'] }),
    expect: 'spec.ipVersion: expected 4 or 6, found 5',
    good: rip('rip-1', { ipVersion: 4, ips: ['10.20.40.1'] }),
  },
  {
    what: 'reserved ip malformed',
    webhook: P,
    bad: rip('rip-2', { ipVersion: 4, ips: ['10.20.41.400'] }),
    expect: 'spec.ips[0]',
    good: rip('rip-2', { ipVersion: 4, ips: ['10.20.41.4'] }),
  },
  {
    what: 'reserved family mismatch',
    webhook: P,
    bad: rip('rip-3', { ipVersion: 4, ips: ['fd00::1'] }),
    expect: 'spec.ips[0]: "fd00::1" is IPv6, expected IPv4',
    good: rip('rip-3', { ipVersion: 6, ips: ['fd00::1'] }),
  },
  {
    what: 'NAD config not JSON',
    webhook: N,
    bad: nad('default', 'nad-1', '{"type": '),
    expect: 'spec.config: CNI config is not valid JSON',
    good: nad('default', 'nad-1', macvlan()),
  },
  {
    what: 'NAD without type or plugins',
    webhook: N,
    bad: nad('default', 'nad-2', { cniVersion: '1.0.0', name: 'x' }),
    expect: 'spec.config: CNI config has neither "type" nor a non-empty "plugins" list',
    good: nad('default', 'nad-2', { cniVersion: '1.0.0', name: 'x', type: 'bridge' }),
  },
  {
    what: 'conflist plugin without type',
    webhook: N,
    bad: nad('default', 'nad-3', {
      cniVersion: '1.0.0',
      name: 'x',
      plugins: [{ type: 'trunkline-macvlan', master: 'eth1' }, {}],
    }),
    expect: 'plugin 1 of the conflist has no "type"',
    good: nad('default', 'nad-3', {
      cniVersion: '1.0.0',
      name: 'x',
      plugins: [{ type: 'trunkline-macvlan', master: 'eth1' }, { type: 'tuning' }],
    }),
  },
  {
    what: 'macvlan mode unknown',
    webhook: N,
    bad: nad('default', 'nad-4', macvlan({ mode: 'hairpin' })),
    expect: 'spec.config (type trunkline-macvlan): unknown macvlan mode: "hairpin"',
    good: nad('default', 'nad-4', macvlan({ mode: 'passthru' })),
  },
  {
    what: 'macvlan mtu not integer',
    webhook: N,
    bad: nad('default', 'nad-5', macvlan({ mtu: '1500' })),
    expect: '"mtu" must be an integer, found "1500"',
    good: nad('default', 'nad-5', macvlan({ mtu: 1500 })),
  },
  {
    what: 'IPAM pool list malformed',
    webhook: N,
    bad: nad('default', 'nad-6', macvlan({ ipam: { type: 'trunkline-ipam', default_ipv4_ippool: 5 } })),
    expect: 'default_ipv4_ippool',
    good: nad(
      'default',
      'nad-6',
      macvlan({ ipam: { type: 'trunkline-ipam', default_ipv4_ippool: ['base-v4'] } }),
    ),
  },
  {
    what: 'third-party plugin untouched',
    webhook: N,
    bad: nad('default', 'nad-7', {
      cniVersion: '1.0.0',
      name: 'x',
      plugins: [
        { type: 'whatever', anything: { goes: 1 } },
        { type: 'trunkline-macvlan', mode: 'x' },
      ],
    }),
    expect: 'spec.config: plugins[1] (type trunkline-macvlan): unknown macvlan mode',
    good: nad('default', 'nad-7', {
      cniVersion: '1.0.0',
      name: 'x',
      plugins: [{ type: 'whatever', anything: { goes: 1 } }],
    }),
  },
  {
    what: 'networks JSON malformed',
    webhook: D,
    bad: pod('default', 'pod-1', { [NETS]: '[{"name":' }),
    expect: NETS,
    good: pod('default', 'pod-1', { [NETS]: '[{"name":"macvlan-100"}]' }),
  },
  {
    what: 'networks short form bad name',
    webhook: D,
    bad: pod('default', 'pod-2', { [NETS]: 'Macvlan_100' }),
    expect: 'Macvlan_100',
    good: pod('default', 'pod-2', { [NETS]: 'macvlan-100' }),
  },
  {
    what: 'networks names a missing NAD',
    webhook: D,
    bad: pod('default', 'pod-3', { [NETS]: 'macvlan-999' }),
    expect: 'network "default/macvlan-999" not found, expected an existing NetworkAttachmentDefinition',
    good: pod('default', 'pod-3', { [NETS]: 'default/macvlan-100@net1' }),
  },
  {
    what: 'namespace isolation',
    webhook: D,
    bad: pod('team-a', 'pod-4', { [NETS]: 'other/private-net' }),
    expect: 'may not use networks of namespace "other"',
    good: pod('team-a', 'pod-4', { [NETS]: 'default/macvlan-100' }),
  },
  {
    what: 'interface name too long',
    webhook: D,
    bad: pod('default', 'pod-5', { [NETS]: '[{"name":"macvlan-100","interface":"averyveryverylongname"}]' }),
    expect: 'characters long',
    good: pod('default', 'pod-5', { [NETS]: '[{"name":"macvlan-100","interface":"net7"}]' }),
  },
  {
    what: 'overlay as default network',
    webhook: D,
    bad: pod('default', 'pod-6', { 'v1.multus-cni.io/default-network': 'overlay' }),
    expect: '"kube-system/overlay" is an overlay-mode network',
    good: pod('default', 'pod-6', { 'v1.multus-cni.io/default-network': 'underlay' }),
  },
  {
    what: 'ippool annotation malformed',
    webhook: D,
    bad: pod('default', 'pod-7', { 'ipam.spidernet.io/ippool': '{"ipv4": "base-v4"' }),
    expect: 'ipam.spidernet.io/ippool',
    good: pod('default', 'pod-7', { 'ipam.spidernet.io/ippool': '{"ipv4": ["base-v4"]}' }),
  },
  {
    what: 'ippools names a missing pool',
    webhook: D,
    bad: pod('default', 'pod-8', { 'ipam.spidernet.io/ippools': '[{"interface":"eth0","ipv4":["nope"]}]' }),
    expect: 'pool "nope": not found, expected an existing SpiderIPPool',
    good: pod('default', 'pod-8', {
      'ipam.spidernet.io/ippools': '[{"interface":"eth0","ipv4":["base-v4"]}]',
    }),
  },
  {
    what: 'pool podAffinity excludes pod',
    webhook: D,
    bad: pod('default', 'pod-9', { 'ipam.spidernet.io/ippool': '{"ipv4":["web-pool"]}' }, { app: 'db' }),
    expect: 'pool "web-pool": its spec.podAffinity does not select the pod',
    good: pod('default', 'pod-9', { 'ipam.spidernet.io/ippool': '{"ipv4":["web-pool"]}' }, { app: 'web' }),
  },
  {
    what: 'pool namespaceName excludes namespace',
    webhook: D,
    bad: pod('default', 'pod-10', { 'ipam.spidernet.io/ippool': '{"ipv4":["team-pool"]}' }),
    expect: 'does not include "default"',
    good: pod('team-a', 'pod-10', { 'ipam.spidernet.io/ippool': '{"ipv4":["team-pool"]}' }),
  },
  {
    what: 'SMC section of another type',
    webhook: S,
    bad: smcObj('smc-1', { cniType: 'macvlan', ipvlan: { master: ['eth1'] }, macvlan: { master: ['eth1'] } }),
    expect: 'spec.ipvlan: set, but spec.cniType is macvlan',
    good: smcObj('smc-1', mv({ master: ['eth1'] })),
  },
  {
    what: 'SMC bad master name',
    webhook: S,
    bad: smcObj('smc-2', mv({ master: ['eth1/x'] })),
    expect: `spec.macvlan.master[0]: "eth1/x" contains '/', ':' or whitespace`,
    good: smcObj('smc-2', mv({ master: ['eth1'] })),
  },
  {
    what: 'SMC two masters without bond',
    webhook: S,
    bad: smcObj('smc-3', mv({ master: ['eth1', 'eth2'] })),
    expect: 'spec.macvlan.bond: required when spec.macvlan.master lists 2 interfaces',
    good: smcObj('smc-3', mv({ master: ['eth1', 'eth2'], bond: { name: 'bond0', mode: 1 } })),
  },
  {
    what: 'SMC vlanID out of range',
    webhook: S,
    bad: smcObj('smc-4', mv({ master: ['eth1'], vlanID: 4095 })),
    expect: 'spec.macvlan.vlanID: 4095 is out of range, expected an integer in 0-4094',
    good: smcObj('smc-4', mv({ master: ['eth1'], vlanID: 4094 })),
  },
  {
    what: 'SMC pool missing',
    webhook: S,
    bad: smcObj('smc-5', mv({ master: ['eth1'], ippools: { ipv4: ['nope'] } })),
    expect: 'spec.macvlan.ippools.ipv4[0]: pool "nope" not found',
    good: smcObj('smc-5', mv({ master: ['eth1'], ippools: { ipv4: ['base-v4'] } })),
  },
  {
    what: 'SMC pool of wrong family',
    webhook: S,
    bad: smcObj('smc-6', mv({ master: ['eth1'], ippools: { ipv6: ['base-v4'] } })),
    expect: 'spec.macvlan.ippools.ipv6[0]: pool "base-v4" is not IPv6',
    good: smcObj('smc-6', mv({ master: ['eth1'], ippools: { ipv4: ['base-v4'] } })),
  },
  {
    what: 'SMC section of another type',
    webhook: S,
    bad: smcObj('smc-1', { cniType: 'macvlan', ipvlan: { master: ['eth1'] }, macvlan: { master: ['eth1'] } }),
    expect: 'spec.ipvlan: set, but spec.cniType is macvlan',
    good: smcObj('smc-1', mv({ master: ['eth1'] })),
  },
  {
    what: 'SMC bad master name',
    webhook: S,
    bad: smcObj('smc-2', mv({ master: ['eth1/x'] })),
    expect: `spec.macvlan.master[0]: "eth1/x" contains '/', ':' or whitespace`,
    good: smcObj('smc-2', mv({ master: ['eth1'] })),
  },
  {
    what: 'SMC two masters without bond',
    webhook: S,
    bad: smcObj('smc-3', mv({ master: ['eth1', 'eth2'] })),
    expect: 'spec.macvlan.bond: required when spec.macvlan.master lists 2 interfaces',
    good: smcObj('smc-3', mv({ master: ['eth1', 'eth2'], bond: { name: 'bond0', mode: 1 } })),
  },
  {
    what: 'SMC vlanID out of range',
    webhook: S,
    bad: smcObj('smc-4', mv({ master: ['eth1'], vlanID: 4095 })),
    expect: 'spec.macvlan.vlanID: 4095 is out of range, expected an integer in 0-4094',
    good: smcObj('smc-4', mv({ master: ['eth1'], vlanID: 4094 })),
  },
  {
    what: 'SMC pool missing',
    webhook: S,
    bad: smcObj('smc-5', mv({ master: ['eth1'], ippools: { ipv4: ['nope'] } })),
    expect: 'spec.macvlan.ippools.ipv4[0]: pool "nope" not found',
    good: smcObj('smc-5', mv({ master: ['eth1'], ippools: { ipv4: ['base-v4'] } })),
  },
  {
    what: 'SMC pool of wrong family',
    webhook: S,
    bad: smcObj('smc-6', mv({ master: ['eth1'], ippools: { ipv6: ['base-v4'] } })),
    expect: 'spec.macvlan.ippools.ipv6[0]: pool "base-v4" is not IPv6',
    good: smcObj('smc-6', mv({ master: ['eth1'], ippools: { ipv4: ['base-v4'] } })),
  },
];
