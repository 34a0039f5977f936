import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { SpiderIPPool } from '../../src/cluster/types.js';
import { formatIssue, validatePool, validatePools, validateReservedIP } from '../../src/ipam/validate.js';

function pool(name: string, spec: Record<string, unknown>): SpiderIPPool {
  return { metadata: { name }, spec: spec as SpiderIPPool['spec'] };
}

const messages = (p: SpiderIPPool) => validatePool(p).map(formatIssue);

describe('SpiderIPPool validation', () => {
  it('accepts a complete, valid pool (vlan is ignored)', () => {
    const p = pool('vlan100-v4', {
      ipVersion: 4,
      subnet: '10.100.0.0/24',
      ips: ['10.100.0.10-10.100.0.200', '10.100.0.1'],
      excludeIPs: ['10.100.0.1'],
      gateway: '10.100.0.1',
      routes: [{ dst: '192.168.0.0/16', gw: '10.100.0.254' }],
      podAffinity: { matchLabels: { app: 'db' } },
      nodeAffinity: { matchExpressions: [{ key: 'zone', operator: 'In', values: ['a'] }] },
      namespaceName: ['prod'],
      multusName: ['kube-system/macvlan-vlan100'],
      vlan: 100,
      default: false,
      disable: false,
    });
    assert.deepEqual(validatePool(p), []);
  });

  const table: [string, Record<string, unknown>, RegExp][] = [
    [
      'bad CIDR',
      { subnet: '10.0.0.0/40' },
      /"bad": spec\.subnet: "10\.0\.0\.0\/40": prefix length 40 exceeds 32/,
    ],
    ['not a CIDR', { subnet: 'banana' }, /spec\.subnet: "banana" is not a CIDR/],
    [
      'host bits in subnet',
      { subnet: '10.0.0.5/24' },
      /spec\.subnet: "10\.0\.0\.5\/24" has host bits set; write it as 10\.0\.0\.0\/24/,
    ],
    ['missing subnet', { ips: ['10.0.0.1'] }, /spec\.subnet: required/],
    [
      'ipVersion vs subnet',
      { ipVersion: 6, subnet: '10.0.0.0/24' },
      /spec\.ipVersion: is 6 but spec\.subnet 10\.0\.0\.0\/24 is IPv4/,
    ],
    ['ipVersion value', { ipVersion: 5, subnet: '10.0.0.0/24' }, /spec\.ipVersion: expected 4 or 6, found 5/],
    [
      'ips outside subnet',
      { subnet: '10.1.0.0/24', ips: ['10.1.0.10', '10.2.0.5'] },
      /spec\.ips\[1\]: "10\.2\.0\.5" is outside spec\.subnet 10\.1\.0\.0\/24/,
    ],
    [
      'range leaving subnet',
      { subnet: '10.1.0.0/24', ips: ['10.1.0.250-10.1.1.5'] },
      /spec\.ips\[0\]: "10\.1\.0\.250-10\.1\.1\.5" is outside spec\.subnet/,
    ],
    [
      'ips of wrong family',
      { subnet: '10.1.0.0/24', ips: ['fd00::1'] },
      /spec\.ips\[0\]: "fd00::1" is IPv6, expected IPv4/,
    ],
    [
      'unparseable ips',
      { subnet: '10.1.0.0/24', ips: ['10.1.0.9-10.1.0.1'] },
      /spec\.ips\[0\]: "10\.1\.0\.9-10\.1\.0\.1": range start is after its end/,
    ],
    [
      'excludeIPs outside subnet',
      { subnet: '10.1.0.0/24', excludeIPs: ['10.9.0.1'] },
      /spec\.excludeIPs\[0\]: "10\.9\.0\.1" is outside/,
    ],
    [
      'gateway inside ips',
      { subnet: '10.1.0.0/24', ips: ['10.1.0.1-10.1.0.50'], gateway: '10.1.0.1' },
      /spec\.ips\[0\]: "10\.1\.0\.1-10\.1\.0\.50" contains spec\.gateway 10\.1\.0\.1; add the gateway to spec\.excludeIPs/,
    ],
    [
      'gateway outside subnet',
      { subnet: '10.1.0.0/24', gateway: '10.2.0.1' },
      /spec\.gateway: 10\.2\.0\.1 is outside spec\.subnet 10\.1\.0\.0\/24/,
    ],
    [
      'gateway not an IP',
      { subnet: '10.1.0.0/24', gateway: 'router' },
      /spec\.gateway: "router" is not an IP address/,
    ],
    [
      'default route in routes',
      { subnet: '10.1.0.0/24', gateway: '10.1.0.1', routes: [{ dst: '0.0.0.0/0', gw: '10.1.0.1' }] },
      /spec\.routes\[0\]\.dst: 0\.0\.0\.0\/0 is a default route; set spec\.gateway instead/,
    ],
    [
      'IPv6 default route',
      { subnet: 'fd00::/64', routes: [{ dst: '::/0', gw: 'fd00::1' }] },
      /spec\.routes\[0\]\.dst: ::\/0 is a default route/,
    ],
    [
      'route gw outside subnet',
      { subnet: '10.1.0.0/24', routes: [{ dst: '10.9.0.0/16', gw: '10.2.0.1' }] },
      /spec\.routes\[0\]\.gw: 10\.2\.0\.1 is outside spec\.subnet/,
    ],
    [
      'duplicate route',
      {
        subnet: '10.1.0.0/24',
        routes: [
          { dst: '10.9.0.0/16', gw: '10.1.0.2' },
          { dst: '10.9.0.0/16', gw: '10.1.0.3' },
        ],
      },
      /spec\.routes\[1\]\.dst: 10\.9\.0\.0\/16 is listed twice/,
    ],
    [
      'bad selector operator',
      { subnet: '10.1.0.0/24', nodeAffinity: { matchExpressions: [{ key: 'a', operator: 'Near' }] } },
      /spec\.nodeAffinity: matchExpressions\[0\]\.operator: expected one of In, NotIn, Exists, DoesNotExist, found "Near"/,
    ],
    [
      'In without values',
      { subnet: '10.1.0.0/24', namespaceAffinity: { matchExpressions: [{ key: 'a', operator: 'In' }] } },
      /spec\.namespaceAffinity: matchExpressions\[0\]\.values: required for In/,
    ],
    [
      'empty podAffinity',
      { subnet: '10.1.0.0/24', podAffinity: {} },
      /spec\.podAffinity: an empty selector is not allowed/,
    ],
    [
      'nodeName not a list',
      { subnet: '10.1.0.0/24', nodeName: 'node1' },
      /spec\.nodeName: must be a list of names/,
    ],
    [
      'disable not boolean',
      { subnet: '10.1.0.0/24', disable: 'yes' },
      /spec\.disable: expected true or false/,
    ],
  ];
  for (const [title, spec, re] of table) {
    it(`rejects: ${title}`, () => {
      const got = messages(pool('bad', spec));
      assert.ok(
        got.some((m) => re.test(m)),
        `expected ${re} in ${JSON.stringify(got)}`,
      );
      assert.ok(
        got.every((m) => m.startsWith('SpiderIPPool "bad": spec.')),
        'every message names the pool and a field',
      );
    });
  }

  it('accepts the gateway inside ips when excludeIPs removes it', () => {
    assert.deepEqual(
      messages(
        pool('ok', {
          subnet: '10.1.0.0/24',
          ips: ['10.1.0.1-10.1.0.50'],
          excludeIPs: ['10.1.0.1'],
          gateway: '10.1.0.1',
        }),
      ),
      [],
    );
  });
});

describe('cross-pool validation', () => {
  it('flags pools on one subnet that share addresses, naming both', () => {
    const r = validatePools([
      pool('a', { subnet: '10.5.0.0/24', ips: ['10.5.0.10-10.5.0.20'] }),
      pool('b', { subnet: '10.5.0.0/24', ips: ['10.5.0.15-10.5.0.30'], excludeIPs: ['10.5.0.15'] }),
      pool('c', { subnet: '10.5.0.0/24', ips: ['10.5.0.21-10.5.0.25'], excludeIPs: [] }),
    ]);
    assert.deepEqual(r.get('a')?.map(formatIssue), [
      'SpiderIPPool "a": spec.ips: shares addresses 10.5.0.16-10.5.0.20 with SpiderIPPool "b"',
    ]);
    assert.match(
      formatIssue(r.get('b')![0]!),
      /"b": spec\.ips: shares addresses 10\.5\.0\.16-10\.5\.0\.20 with SpiderIPPool "a"/,
    );
    assert.match(
      formatIssue(r.get('c')![0]!),
      /"c": spec\.ips: shares addresses 10\.5\.0\.21-10\.5\.0\.25 with SpiderIPPool "b"/,
    );
  });

  it('flags overlapping different subnets of one family, not of different families', () => {
    const r = validatePools([
      pool('wide', { subnet: '10.6.0.0/16', ips: ['10.6.0.10'] }),
      pool('narrow', { subnet: '10.6.1.0/24', ips: ['10.6.1.10'] }),
      pool('v6', { subnet: 'fd00::/64', ips: ['fd00::10'] }),
      pool('apart', { subnet: '10.7.0.0/24', ips: ['10.7.0.10'] }),
    ]);
    assert.match(
      formatIssue(r.get('wide')![0]!),
      /spec\.subnet: overlaps spec\.subnet 10\.6\.1\.0\/24 of SpiderIPPool "narrow"/,
    );
    assert.match(
      formatIssue(r.get('narrow')![0]!),
      /overlaps spec\.subnet 10\.6\.0\.0\/16 of SpiderIPPool "wide"/,
    );
    assert.equal(r.get('v6'), undefined);
    assert.equal(r.get('apart'), undefined);
  });

  it('flags duplicate names', () => {
    const r = validatePools([pool('dup', { subnet: '10.8.0.0/24' }), pool('dup', { subnet: '10.9.0.0/24' })]);
    assert.match(formatIssue(r.get('dup')![0]!), /metadata\.name: defined more than once/);
  });
});

describe('SpiderReservedIP validation', () => {
  it('checks entries and ipVersion', () => {
    assert.deepEqual(
      validateReservedIP({ metadata: { name: 'r' }, spec: { ipVersion: 4, ips: ['10.0.0.1-10.0.0.3'] } }),
      [],
    );
    const bad = validateReservedIP({
      metadata: { name: 'r' },
      spec: { ipVersion: 4, ips: ['fd00::1', 'x'] },
    }).map(formatIssue);
    assert.deepEqual(bad, [
      'SpiderReservedIP "r": spec.ips[0]: "fd00::1" is IPv6, expected IPv4',
      'SpiderReservedIP "r": spec.ips[1]: "x" is not an IP address or an "a-b" range',
    ]);
  });
});
