import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { NamespaceInfo, NodeInfo, PodInfo, SpiderIPPool } from '../../src/cluster/types.js';
import { CniError, Code } from '../../src/cni/errors.js';
import { selectPools } from '../../src/ipam/select.js';
import type { SelectInput } from '../../src/ipam/select-input.js';

function pool(name: string, subnet: string, extra: Partial<SpiderIPPool['spec']> = {}): SpiderIPPool {
  const base = subnet.includes(':') ? subnet.replace(/\/.*/, '') : subnet.replace(/0\/\d+$/, '');
  const ips = subnet.includes(':') ? [`${base}10-${base}20`] : [`${base}10-${base}20`];
  return { metadata: { name }, spec: { subnet, ips, ...extra } };
}

const POOLS: SpiderIPPool[] = [
  pool('v4-a', '10.10.0.0/24'),
  pool('v4-b', '10.11.0.0/24'),
  pool('v6-a', 'fd10::/64'),
  pool('def-v4', '10.12.0.0/24', { default: true }),
  pool('def-v6', 'fd12::/64', { default: true }),
  pool('vlan100-v4', '10.100.0.0/24'),
  pool('vlan101-v4', '10.101.0.0/24'),
  pool('vlan200-v4', '10.200.0.0/24'),
  pool('vlan100-v6', 'fd64:100::/64'),
];

function podWith(
  annotations: Record<string, string> = {},
  labels: Record<string, string> = {},
  nodeName = 'node1',
): PodInfo {
  return { metadata: { name: 'web-0', namespace: 'prod', uid: 'u1', annotations, labels }, nodeName };
}

/** A default pod unless the row gives only a pod identity (podName without a pod object). */
function input(over: Partial<SelectInput> = {}): SelectInput {
  const base: SelectInput = { pools: POOLS, reserved: [], ifname: 'net1', ...over };
  return over.pod === undefined && over.podName !== undefined ? base : { pod: podWith(), ...base };
}

function names(sel: ReturnType<typeof selectPools>) {
  return Object.fromEntries(sel.families.map((f) => [`v${f.family}`, f.candidates.map((c) => c.name)]));
}

const IPPOOLS = JSON.stringify([
  { interface: 'net1', ipv4: ['v4-a'], ipv6: ['v6-a'], cleangateway: true },
  { interface: 'net2', ipv4: ['v4-b'] },
]);
const NS: NamespaceInfo = {
  metadata: { name: 'prod', annotations: { 'ipam.spidernet.io/default-ipv4-ippool': '["vlan200-v4"]' } },
};

describe('pool selection precedence', () => {
  const table: [string, Partial<SelectInput>, string, Record<string, string[]>, boolean][] = [
    [
      'pod ippools beats everything',
      {
        pod: podWith({
          'ipam.spidernet.io/ippools': IPPOOLS,
          'ipam.spidernet.io/ippool': '{"ipv4":["v4-b"]}',
        }),
        namespace: NS,
        defaults: { ipv4: ['vlan100-v4'] },
      },
      'pod:ippools',
      { v4: ['v4-a'], v6: ['v6-a'] },
      true,
    ],
    [
      'pod ippools entry of the other NIC',
      { pod: podWith({ 'ipam.spidernet.io/ippools': IPPOOLS }), ifname: 'net2' },
      'pod:ippools',
      { v4: ['v4-b'] },
      false,
    ],
    [
      'pod ippool beats namespace and config',
      {
        pod: podWith({ 'ipam.spidernet.io/ippool': '{"ipv4":["v4-b"],"ipv6":["v6-a"]}' }),
        namespace: NS,
        defaults: { ipv4: ['vlan100-v4'] },
      },
      'pod:ippool',
      { v4: ['v4-b'], v6: ['v6-a'] },
      false,
    ],
    [
      'legacy ippool field names',
      { pod: podWith({ 'ipam.spidernet.io/ippool': '{"interface":"net1","ipv4pools":["v4-b"]}' }) },
      'pod:ippool',
      { v4: ['v4-b'] },
      false,
    ],
    [
      'legacy ippool for another interface falls through',
      { pod: podWith({ 'ipam.spidernet.io/ippool': '{"interface":"eth0","ipv4":["v4-b"]}' }), namespace: NS },
      'namespace',
      { v4: ['vlan200-v4'] },
      false,
    ],
    [
      'namespace default beats config',
      { namespace: NS, defaults: { ipv4: ['vlan100-v4'] } },
      'namespace',
      { v4: ['vlan200-v4'] },
      false,
    ],
    [
      'IPAM config defaults',
      { defaults: { ipv4: ['vlan100-v4', 'v4-a'], ipv6: ['vlan100-v6'] } },
      'ipam-config',
      { v4: ['vlan100-v4', 'v4-a'], v6: ['vlan100-v6'] },
      false,
    ],
    ['pools with spec.default', {}, 'cluster-default', { v4: ['def-v4'], v6: ['def-v6'] }, false],
    [
      'wildcards *',
      { defaults: { ipv4: ['vlan1*-v4'] } },
      'ipam-config',
      { v4: ['vlan100-v4', 'vlan101-v4'] },
      false,
    ],
    [
      'wildcards ? and []',
      { defaults: { ipv4: ['vlan[12]0?-v4'] } },
      'ipam-config',
      { v4: ['vlan100-v4', 'vlan101-v4', 'vlan200-v4'] },
      false,
    ],
    [
      'no pod object: identity only',
      { podNamespace: 'prod', podName: 'web-0', namespace: NS },
      'namespace',
      { v4: ['vlan200-v4'] },
      false,
    ],
  ];
  for (const [title, over, source, expected, clean] of table) {
    it(title, () => {
      const sel = selectPools(input(over));
      assert.equal(sel.source, source);
      assert.deepEqual(names(sel), expected);
      assert.equal(sel.cleanGateway, clean);
    });
  }

  const errors: [string, Partial<SelectInput>, number, RegExp][] = [
    [
      'ippools without this NIC',
      { pod: podWith({ 'ipam.spidernet.io/ippools': IPPOOLS }), ifname: 'net3' },
      Code.NoEligiblePool,
      /pod prod\/web-0 interface net3: annotation ipam\.spidernet\.io\/ippools lists interfaces net1, net2 but not net3/,
    ],
    [
      'ippools mixing named and unnamed entries',
      { pod: podWith({ 'ipam.spidernet.io/ippools': '[{"ipv4":["v4-a"]},{"interface":"net1"}]' }) },
      Code.InvalidConfig,
      /pod prod\/web-0: annotation ipam\.spidernet\.io\/ippools: entries must either all name their interface or all leave it out/,
    ],
    [
      'ippools duplicate interface',
      { pod: podWith({ 'ipam.spidernet.io/ippools': '[{"interface":"a"},{"interface":"a"}]' }) },
      Code.InvalidConfig,
      /interface a is listed twice/,
    ],
    [
      'malformed ippool JSON',
      { pod: podWith({ 'ipam.spidernet.io/ippool': '{ipv4:' }) },
      Code.InvalidConfig,
      /pod prod\/web-0: annotation ipam\.spidernet\.io\/ippool: not valid JSON/,
    ],
    [
      'malformed namespace default',
      {
        namespace: {
          metadata: { name: 'prod', annotations: { 'ipam.spidernet.io/default-ipv4-ippool': 'v4-a' } },
        },
      },
      Code.InvalidConfig,
      /namespace prod: annotation ipam\.spidernet\.io\/default-ipv4-ippool: not valid JSON/,
    ],
    [
      'nothing applies',
      { pools: POOLS.filter((p) => !p.spec.default) },
      Code.NoEligiblePool,
      /no pool selection rule applies/,
    ],
  ];
  for (const [title, over, code, re] of errors) {
    it(`error: ${title}`, () => {
      assert.throws(
        () => selectPools(input(over)),
        (e: unknown) => {
          assert.ok(e instanceof CniError, String(e));
          assert.equal(e.code, code);
          assert.match(e.message, re);
          return true;
        },
      );
    });
  }
});

describe('candidate filtering', () => {
  const node1: NodeInfo = { metadata: { name: 'node1', labels: { zone: 'a', 'kubernetes.io/os': 'linux' } } };
  const prodNs: NamespaceInfo = { metadata: { name: 'prod', labels: { tier: 'gold' } } };
  const base = '10.50.0.0/24';
  type Row = [string, Partial<SpiderIPPool['spec']>, Partial<SelectInput>, RegExp | undefined];
  const rows: Row[] = [
    ['plain pool', {}, {}, undefined],
    ['disabled', { disable: true }, {}, /disabled \(spec\.disable: true\)/],
    ['nodeName match', { nodeName: ['node1', 'node2'] }, {}, undefined],
    [
      'nodeName mismatch',
      { nodeName: ['node2'] },
      {},
      /spec\.nodeName \[node2\] does not include node node1/,
    ],
    [
      'nodeName wins over nodeAffinity',
      { nodeName: ['node1'], nodeAffinity: { matchLabels: { zone: 'b' } } },
      { node: node1 },
      undefined,
    ],
    [
      'nodeAffinity match',
      { nodeAffinity: { matchExpressions: [{ key: 'zone', operator: 'In', values: ['a', 'c'] }] } },
      { node: node1 },
      undefined,
    ],
    [
      'nodeAffinity mismatch',
      { nodeAffinity: { matchLabels: { zone: 'b' } } },
      { node: node1 },
      /spec\.nodeAffinity does not match the labels of node node1/,
    ],
    [
      'nodeAffinity with unknown node',
      { nodeAffinity: { matchLabels: { zone: 'a' } } },
      {},
      /node node1 is not known/,
    ],
    ['namespaceName match', { namespaceName: ['prod'] }, {}, undefined],
    [
      'namespaceName mismatch',
      { namespaceName: ['dev'] },
      {},
      /spec\.namespaceName \[dev\] does not include namespace prod/,
    ],
    [
      'namespaceName wins over namespaceAffinity',
      { namespaceName: ['prod'], namespaceAffinity: { matchLabels: { tier: 'bronze' } } },
      { namespace: prodNs },
      undefined,
    ],
    [
      'namespaceAffinity match',
      { namespaceAffinity: { matchLabels: { tier: 'gold' } } },
      { namespace: prodNs },
      undefined,
    ],
    [
      'namespaceAffinity mismatch',
      { namespaceAffinity: { matchExpressions: [{ key: 'tier', operator: 'NotIn', values: ['gold'] }] } },
      { namespace: prodNs },
      /spec\.namespaceAffinity does not match/,
    ],
    ['podAffinity matchLabels', { podAffinity: { matchLabels: { app: 'web' } } }, {}, undefined],
    [
      'podAffinity Exists + DoesNotExist',
      {
        podAffinity: {
          matchExpressions: [
            { key: 'app', operator: 'Exists' },
            { key: 'canary', operator: 'DoesNotExist' },
          ],
        },
      },
      {},
      undefined,
    ],
    [
      'podAffinity mismatch',
      { podAffinity: { matchLabels: { app: 'db' } } },
      {},
      /spec\.podAffinity does not match the pod labels/,
    ],
    [
      'multusName with namespace',
      { multusName: ['kube-system/macvlan-vlan100'] },
      { multusName: 'kube-system/macvlan-vlan100' },
      undefined,
    ],
    [
      'multusName without namespace',
      { multusName: ['macvlan-vlan100'] },
      { multusName: 'kube-system/macvlan-vlan100' },
      undefined,
    ],
    [
      'multusName vs network name',
      { multusName: ['macvlan-vlan100'] },
      { multusName: 'macvlan-vlan100' },
      undefined,
    ],
    [
      'multusName mismatch',
      { multusName: ['kube-system/macvlan-vlan200'] },
      { multusName: 'kube-system/macvlan-vlan100' },
      /spec\.multusName \[kube-system\/macvlan-vlan200\] does not include kube-system\/macvlan-vlan100/,
    ],
    [
      'multusName without a NAD',
      { multusName: ['kube-system/macvlan-vlan200'] },
      {},
      /not attached through a NetworkAttachmentDefinition/,
    ],
    [
      'every address excluded',
      { ips: ['10.50.0.10-10.50.0.20'], excludeIPs: ['10.50.0.10-10.50.0.20'] },
      {},
      /every address is excluded, reserved or the gateway/,
    ],
    [
      'every address reserved',
      {},
      { reserved: [{ metadata: { name: 'r' }, spec: { ips: ['10.50.0.0-10.50.0.255'] } }] },
      /every address is excluded, reserved or the gateway/,
    ],
  ];
  for (const [title, spec, over, reject] of rows) {
    it(title, () => {
      const p = pool('cand', base, spec);
      const sel = selectPools(
        input({ pools: [p], defaults: { ipv4: ['cand'] }, pod: podWith({}, { app: 'web' }), ...over }),
      );
      const f = sel.families[0]!;
      if (reject === undefined) {
        assert.deepEqual(
          f.candidates.map((c) => c.name),
          ['cand'],
          JSON.stringify(f.rejected),
        );
      } else {
        assert.deepEqual(f.candidates, []);
        assert.match(f.rejected[0]?.reason ?? '', reject);
      }
    });
  }

  it('rejects a pool listed for the wrong family, keeps the rest; unknown or repeated names fail', () => {
    const sel = selectPools(input({ defaults: { ipv4: ['v6-a', 'v4-a'] } }));
    assert.deepEqual(
      sel.families[0]?.candidates.map((c) => c.name),
      ['v4-a'],
    );
    assert.deepEqual(sel.families[0]?.rejected, [
      { pool: 'v6-a', reason: 'is an IPv6 pool, listed for IPv4' },
    ]);
    assert.throws(
      () => selectPools(input({ defaults: { ipv4: ['missing', 'v4-a'] } })),
      (e: CniError) =>
        e.code === Code.NoEligiblePool && /SpiderIPPool "missing" \(IPv4\) does not exist/.test(e.message),
    );
    assert.throws(
      () => selectPools(input({ defaults: { ipv4: ['v4-a', 'v4-a'] } })),
      (e: CniError) => e.code === Code.InvalidConfig && /IPv4 pool "v4-a" is listed twice/.test(e.message),
    );
  });

  it('an invalid pool named outright is a config error naming pool and field; via wildcard it is skipped', () => {
    const broken = pool('vlan300-v4', '10.30.0.0/24', { ips: ['10.31.0.1'] });
    const pools = [...POOLS, broken];
    assert.throws(
      () => selectPools(input({ pools, defaults: { ipv4: ['vlan300-v4'] } })),
      (e: unknown) => {
        assert.ok(e instanceof CniError && e.code === Code.InvalidConfig);
        assert.match(
          e.message,
          /SpiderIPPool "vlan300-v4": spec\.ips\[0\]: "10\.31\.0\.1" is outside spec\.subnet 10\.30\.0\.0\/24/,
        );
        return true;
      },
    );
    const sel = selectPools(input({ pools, defaults: { ipv4: ['vlan3*'] } }));
    assert.deepEqual(sel.families[0]?.candidates, []);
    assert.match(sel.families[0]?.rejected[0]?.reason ?? '', /^invalid: SpiderIPPool "vlan300-v4"/);
  });
});

describe('candidate order', () => {
  it('podAffinity, then nodeName, nodeAffinity, namespaceName, namespaceAffinity, multusName; ties keep list order', () => {
    const n = (i: number) => `10.${60 + i}.0.0/24`;
    const pools = [
      pool('plain-1', n(0)),
      pool('multus', n(1), { multusName: ['kube-system/m'] }),
      pool('ns-aff', n(2), { namespaceAffinity: { matchLabels: { tier: 'gold' } } }),
      pool('ns-name', n(3), { namespaceName: ['prod'] }),
      pool('node-aff', n(4), { nodeAffinity: { matchLabels: { zone: 'a' } } }),
      pool('node-name', n(5), { nodeName: ['node1'] }),
      pool('pod-aff', n(6), { podAffinity: { matchLabels: { app: 'web' } } }),
      pool('pod-aff+node', n(7), { podAffinity: { matchLabels: { app: 'web' } }, nodeName: ['node1'] }),
      pool('plain-2', n(8)),
      pool('ns-name+multus', n(9), { namespaceName: ['prod'], multusName: ['kube-system/m'] }),
    ];
    const sel = selectPools(
      input({
        pools,
        defaults: { ipv4: pools.map((p) => p.metadata.name) },
        pod: podWith({}, { app: 'web' }),
        node: { metadata: { name: 'node1', labels: { zone: 'a' } } },
        namespace: { metadata: { name: 'prod', labels: { tier: 'gold' } } },
        multusName: 'kube-system/m',
      }),
    );
    assert.deepEqual(
      sel.families[0]?.candidates.map((c) => c.name),
      [
        'pod-aff+node',
        'pod-aff',
        'node-name',
        'node-aff',
        'ns-name+multus',
        'ns-name',
        'ns-aff',
        'multus',
        'plain-1',
        'plain-2',
      ],
    );
  });
});
