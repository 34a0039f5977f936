// Spiderpool conformance, pure rules run in-process: the address, CIDR, range and route grammar of
// pkg/ip (Go's net.ParseIP/ParseCIDR underneath) and the SpiderIPPool webhook rules of pkg/ippoolmanager.
// Each row: [upstream file, input…, expectation]. The process-level rules are in ipam.test.ts.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { SpiderIPPool } from '../../../src/cluster/types.js';
import { CniError, Code } from '../../../src/cni/errors.js';
import { parsePodRoutes } from '../../../src/ipam/annotations.js';
import { formatIntervals, normalize, parseRange } from '../../../src/ipam/ranges.js';
import { validatePool, validatePools } from '../../../src/ipam/validate.js';
import { cidrContains, formatCidr, tryCidr } from '../../../src/net/cidr.js';
import { type Family, formatIp, parseIpOf } from '../../../src/net/ip.js';
import { SPIDERPOOL } from './upstream.js';

const IP_TEST = 'pkg/ip/ip_test.go';
const CIDR_TEST = 'pkg/ip/cidr_test.go';
const RANGE_TEST = 'pkg/ip/iprange_test.go';
const ROUTE_TEST = 'pkg/ip/route_test.go';
const IP_GO = 'pkg/ip/ip.go (govalidator + net.ParseIP)';
const WEBHOOK_TEST = 'pkg/ippoolmanager/ippool_webhook_test.go';
const OURS = 'ours (README: Differences from Spiderpool)';

describe(`Spiderpool ${SPIDERPOOL.tag} conformance: addresses (IsIP)`, () => {
  // [from, text, family, canonical form or undefined when refused]
  const rows: [string, string, Family, string | undefined][] = [
    [IP_TEST, '172.18.40.10', 4, '172.18.40.10'],
    [IP_TEST, 'abcd:1234::1', 6, 'abcd:1234::1'],
    [IP_TEST, 'invalid IP', 4, undefined],
    [IP_TEST, 'invalid IP', 6, undefined],
    [IP_TEST, '172.18.40.10', 6, undefined],
    [IP_TEST, 'abcd:1234::1', 4, undefined],
    [IP_GO, '010.0.0.1', 4, undefined],
    [IP_GO, '10.0.0.01', 4, undefined],
    [IP_GO, ' 10.0.0.1', 4, undefined],
    [IP_GO, '10.0.0.1 ', 4, undefined],
    [IP_GO, '10.0.0', 4, undefined],
    [IP_GO, '10.0.0.1.2', 4, undefined],
    [IP_GO, '256.0.0.1', 4, undefined],
    [IP_GO, '255.255.255.255', 4, '255.255.255.255'],
    [IP_GO, '0.0.0.0', 4, '0.0.0.0'],
    [IP_GO, '', 4, undefined],
    [IP_GO, '10.0.0.1/32', 4, undefined],
    [IP_GO, '::ffff:10.0.0.1', 4, '10.0.0.1'],
    [OURS, '::ffff:10.0.0.1', 6, undefined],
    [IP_GO, 'fe80::1%eth0', 6, undefined],
    [IP_GO, '::', 6, '::'],
    [IP_GO, '::1', 6, '::1'],
    [IP_GO, '1::', 6, '1::'],
    [IP_GO, 'ABCD:1234::A', 6, 'abcd:1234::a'],
    [IP_GO, '0001:0db8::0001', 6, '1:db8::1'],
    [IP_GO, '00001:db8::1', 6, undefined],
    [IP_GO, '1:2:3:4:5:6:7:8', 6, '1:2:3:4:5:6:7:8'],
    [IP_GO, '1:2:3:4:5:6:7::', 6, '1:2:3:4:5:6:7:0'],
    [IP_GO, '1:2:3:4:5:6:7:8::', 6, undefined],
    [IP_GO, '1:2:3:4:5:6:7:8:9', 6, undefined],
    [IP_GO, '1::2::3', 6, undefined],
    [IP_GO, ':1:2:3:4:5:6:7', 6, undefined],
    [IP_GO, '::1.2.3.4', 6, '::102:304'],
    [IP_GO, '1.2.3.4::', 6, undefined],
    [IP_GO, '::01.2.3.4', 6, undefined],
    [IP_GO, 'fd00::g', 6, undefined],
  ];
  for (const [from, text, family, canonical] of rows) {
    it(`${JSON.stringify(text)} as IPv${family} → ${canonical ?? 'refused'} (${from})`, () => {
      const a = parseIpOf(text, family);
      assert.equal(a === undefined ? undefined : formatIp(a.family, a.value), canonical);
    });
  }
});

describe(`Spiderpool ${SPIDERPOOL.tag} conformance: CIDRs (IsCIDR, ContainsIP, ContainsCIDR)`, () => {
  // [from, text, family and canonical network, or undefined when refused]
  const rows: [string, string, string | undefined][] = [
    [CIDR_TEST, '172.18.40.0/24', 'v4 172.18.40.0/24'],
    [CIDR_TEST, 'abcd:1234::/120', 'v6 abcd:1234::/120'],
    [CIDR_TEST, 'invalid CIDR', undefined],
    [CIDR_TEST, '172.18.40.0', undefined],
    [IP_GO, '10.0.0.0/33', undefined],
    [IP_GO, 'fd00::/129', undefined],
    [IP_GO, '10.0.0.0/', undefined],
    [IP_GO, '10.0.0.0/+8', undefined],
    [IP_GO, '10.0.0.0/-1', undefined],
    [IP_GO, '10.0.0.0/ 8', undefined],
    [IP_GO, '10.0.0.0/024', 'v4 10.0.0.0/24'],
    [IP_GO, '10.0.0.5/24', 'v4 10.0.0.0/24'],
    [IP_GO, 'fe80::%eth0/64', undefined],
    [IP_GO, '010.0.0.0/8', undefined],
    [IP_GO, '::ffff:10.0.0.0/104', 'v4 10.0.0.0/8'],
    [IP_GO, '0.0.0.0/0', 'v4 0.0.0.0/0'],
    [IP_GO, '::/0', 'v6 ::/0'],
  ];
  for (const [from, text, want] of rows) {
    it(`${JSON.stringify(text)} → ${want ?? 'refused'} (${from})`, () => {
      const c = tryCidr(text);
      assert.equal(c === undefined ? undefined : `v${c.family} ${formatCidr(c)}`, want);
    });
  }
  // [from, subnet, address, contained]
  const contains: [string, string, string, boolean][] = [
    [IP_TEST, '172.18.40.0/24', '172.18.40.10', true],
    [IP_TEST, '172.18.40.0/24', '172.18.41.1', false],
    [IP_TEST, 'abcd:1234::/120', 'abcd:1234::a', true],
    [IP_TEST, 'abcd:1234::/120', 'abcd:1234::101', false],
    [IP_GO, '172.18.40.0/24', '::ffff:172.18.40.10', true],
  ];
  for (const [from, subnet, ip, want] of contains) {
    it(`${subnet} ${want ? 'contains' : 'does not contain'} ${ip} (${from})`, () => {
      const c = tryCidr(subnet)!;
      const a = parseIpOf(ip, c.family);
      assert.equal(a !== undefined && cidrContains(c, a), want);
    });
  }
  // [from, outer, inner, outer contains inner] — ContainsCIDR: prefix no longer and network inside.
  const nets: [string, string, string, boolean][] = [
    [CIDR_TEST, '172.18.40.0/16', '172.18.40.0/24', true],
    [CIDR_TEST, '172.18.40.0/24', '172.18.40.0/16', false],
    [CIDR_TEST, 'abcd:1234::/112', 'abcd:1234::/120', true],
    [CIDR_TEST, '172.18.40.0/24', '172.18.41.0/24', false],
  ];
  for (const [from, outer, inner, want] of nets) {
    it(`${outer} ${want ? 'contains' : 'does not contain'} ${inner} (${from})`, () => {
      const o = tryCidr(outer)!;
      const i = tryCidr(inner)!;
      assert.equal(o.prefix <= i.prefix && cidrContains(o, { family: i.family, value: i.network }), want);
    });
  }
});

describe(`Spiderpool ${SPIDERPOOL.tag} conformance: IP ranges (IsIPRange, MergeIPRanges, overlaps)`, () => {
  // [from, text, family, "start-end" canonical, or undefined when refused]
  const rows: [string, string, Family, string | undefined][] = [
    [RANGE_TEST, 'invalid IP range', 4, undefined],
    [RANGE_TEST, '172.18.40.1-invalid IP range', 4, undefined],
    [RANGE_TEST, 'invalid IP range-172.18.40.2', 4, undefined],
    [RANGE_TEST, '172.18.40.2-172.18.40.1', 4, undefined],
    [RANGE_TEST, '172.18.40.1-172.18.40.2-172.18.40.3', 4, undefined],
    [RANGE_TEST, '172.18.40.10', 4, '172.18.40.10'],
    [RANGE_TEST, '172.18.40.1-172.18.40.2', 4, '172.18.40.1-172.18.40.2'],
    [RANGE_TEST, 'abcd:1234::1-invalid IP range', 6, undefined],
    [RANGE_TEST, 'invalid IP range-abcd:1234::2', 6, undefined],
    [RANGE_TEST, 'abcd:1234::2-abcd:1234::1', 6, undefined],
    [RANGE_TEST, 'abcd:1234::1-abcd:1234::2-abcd:1234::3', 6, undefined],
    [RANGE_TEST, 'abcd:1234::a', 6, 'abcd:1234::a'],
    [RANGE_TEST, 'abcd:1234::1-abcd:1234::2', 6, 'abcd:1234::1-abcd:1234::2'],
    [RANGE_TEST, '172.18.40.1-2001:db8:a0b:12f0::1', 4, undefined],
    [RANGE_TEST, '172.18.40.0 - 172.18.40.10', 4, undefined],
    [RANGE_TEST, '172.18.40.0 -172.18.40.10', 4, undefined],
    [RANGE_TEST, '172.18.40.0-172.18.40.10 ', 4, undefined],
    [IP_GO, '172.18.40.1-', 4, undefined],
    [IP_GO, '-172.18.40.1', 4, undefined],
    [IP_GO, '172.18.40.5-172.18.40.5', 4, '172.18.40.5'],
    [IP_GO, '172.18.40.0/24', 4, undefined],
    [IP_GO, '172.018.40.1-172.18.40.9', 4, undefined],
    [IP_GO, '::ffff:172.18.40.1-172.18.40.9', 4, '172.18.40.1-172.18.40.9'],
    [IP_GO, 'fd00::1%eth0-fd00::9', 6, undefined],
    [IP_GO, 'FD00::A-fd00::ff', 6, 'fd00::a-fd00::ff'],
    [IP_TEST, '172.18.40.10', 6, undefined],
  ];
  for (const [from, text, family, want] of rows) {
    it(`${JSON.stringify(text)} as IPv${family} → ${want ?? 'refused'} (${from})`, () => {
      let got: string | undefined;
      try {
        const r = parseRange(text, family);
        got = formatIntervals(family, [r])[0];
      } catch (e) {
        assert.equal((e as Error).name, 'IpSyntaxError');
      }
      assert.equal(got, want);
    });
  }
  // [from, family, entries, merged] — MergeIPRanges: sorted, overlapping and adjacent ranges joined.
  const merges: [string, Family, string[], string[]][] = [
    [
      RANGE_TEST,
      4,
      ['172.18.40.10', '172.18.40.1-172.18.40.2', '172.18.40.2-172.18.40.3'],
      ['172.18.40.1-172.18.40.3', '172.18.40.10'],
    ],
    [
      RANGE_TEST,
      6,
      ['abcd:1234::a', 'abcd:1234::1-abcd:1234::2', 'abcd:1234::2-abcd:1234::3'],
      ['abcd:1234::1-abcd:1234::3', 'abcd:1234::a'],
    ],
    [
      RANGE_TEST,
      4,
      ['172.18.40.10', '172.18.40.1', '172.18.40.2'],
      ['172.18.40.1-172.18.40.2', '172.18.40.10'],
    ],
  ];
  for (const [from, family, entries, merged] of merges) {
    it(`merges ${entries.join(', ')} → ${merged.join(', ')} (${from})`, () => {
      const ivs = normalize(entries.map((e) => parseRange(e, family)));
      assert.deepEqual(formatIntervals(family, ivs), merged);
    });
  }
  // [from, family, a, b, overlap]
  const overlaps: [string, Family, string, string, boolean][] = [
    [RANGE_TEST, 4, '172.18.40.1-172.18.40.2', '172.18.40.2-172.18.40.3', true],
    [RANGE_TEST, 4, '172.18.40.1-172.18.40.2', '172.18.40.3-172.18.40.4', false],
    [RANGE_TEST, 6, 'abcd:1234::1-abcd:1234::2', 'abcd:1234::2-abcd:1234::3', true],
    [RANGE_TEST, 6, 'abcd:1234::1-abcd:1234::2', 'abcd:1234::3-abcd:1234::4', false],
  ];
  for (const [from, family, a, b, want] of overlaps) {
    it(`${a} and ${b} ${want ? 'overlap' : 'do not overlap'} (${from})`, () => {
      const x = parseRange(a, family);
      const y = parseRange(b, family);
      assert.equal(x.start <= y.end && y.start <= x.end, want);
    });
  }
  // [from, subnet, range, contained] — ContainsIPRange: both ends inside the subnet.
  const within: [string, string, string, boolean][] = [
    [RANGE_TEST, '172.18.40.0/24', '172.18.40.1-172.18.40.2', true],
    [RANGE_TEST, '172.18.40.0/24', '172.18.40.254-172.18.41.1', false],
    [RANGE_TEST, 'abcd:1234::/120', 'abcd:1234::1-abcd:1234::2', true],
    [RANGE_TEST, 'abcd:1234::/120', 'abcd:1234::fd-abcd:1234::101', false],
  ];
  for (const [from, subnet, range, want] of within) {
    it(`${subnet} ${want ? 'contains' : 'does not contain'} ${range} (${from})`, () => {
      const c = tryCidr(subnet)!;
      const r = parseRange(range, c.family);
      const inside = (v: bigint) => cidrContains(c, { family: c.family, value: v });
      assert.equal(inside(r.start) && inside(r.end), want);
    });
  }
});

describe(`Spiderpool ${SPIDERPOOL.tag} conformance: ipam.spidernet.io/routes (IsRouteWithoutIPVersion)`, () => {
  // [from, dst, gw, accepted]
  const rows: [string, string, string, boolean][] = [
    [ROUTE_TEST, '192.168.40.0/24', '172.18.40.1', true],
    [ROUTE_TEST, 'fd00:40::/120', 'abcd:1234::1', true],
    [ROUTE_TEST, 'invalid routing destination', '172.18.40.1', false],
    [ROUTE_TEST, '192.168.40.0/24', 'invalid routing gateway', false],
    [ROUTE_TEST, 'invalid routing destination', 'abcd:1234::1', false],
    [ROUTE_TEST, 'fd00:40::/120', 'invalid routing gateway', false],
    [ROUTE_TEST, '192.168.40.0/24', 'abcd:1234::1', false],
    [ROUTE_TEST, 'fd00:40::/120', '172.18.40.1', false],
    [IP_GO, '300.1.0.0/16', '172.18.40.1', false],
    [IP_GO, '10.1.0.0/16', '172.18.40.300', false],
    [IP_GO, '10.1.0.0', '172.18.40.1', false],
    [IP_GO, '10.1.0.0/16', '172.18.40.1/32', false],
  ];
  for (const [from, dst, gw, ok] of rows) {
    it(`{dst: ${dst}, gw: ${gw}} ${ok ? 'accepted' : 'refused with code 7'} (${from})`, () => {
      const value = JSON.stringify([{ dst, gw }]);
      if (ok) assert.deepEqual(parsePodRoutes('pod t/p', value), [{ dst, gw }]);
      else
        assert.throws(
          () => parsePodRoutes('pod t/p', value),
          (e: CniError) =>
            e instanceof CniError && e.code === Code.InvalidConfig && /is not a route/.test(e.message),
        );
    });
  }
});

describe(`Spiderpool ${SPIDERPOOL.tag} conformance: SpiderIPPool webhook rules`, () => {
  const pool = (spec: Partial<SpiderIPPool['spec']>, name = 'p'): SpiderIPPool =>
    ({
      apiVersion: 'spiderpool.spidernet.io/v2beta1',
      kind: 'SpiderIPPool',
      metadata: { name },
      spec: { ipVersion: 4, subnet: '172.18.40.0/24', ...spec },
    }) as SpiderIPPool;
  const ips = ['172.18.40.2-172.18.40.3', '172.18.40.10'];
  // [from, case, spec, undefined when valid, else a pattern of the issue]
  const rows: [string, string, Partial<SpiderIPPool['spec']>, RegExp | undefined][] = [
    [WEBHOOK_TEST, 'an empty IPPool is valid', { ips: [] }, undefined],
    [WEBHOOK_TEST, 'invalid spec.ipVersion', { ipVersion: 5 as 4 }, /spec\.ipVersion/],
    [WEBHOOK_TEST, 'invalid spec.subnet', { subnet: 'invalid CIDR' }, /spec\.subnet/],
    [WEBHOOK_TEST, 'spec.ipVersion 6 with an IPv4 subnet', { ipVersion: 6 }, /spec\.ipVersion/],
    [WEBHOOK_TEST, 'invalid spec.ips', { ips: ['invalid IP range'] }, /spec\.ips\[0\]/],
    [WEBHOOK_TEST, 'spec.ips outside spec.subnet', { ips: ['172.18.41.2'] }, /spec\.ips\[0\].*outside/],
    [
      WEBHOOK_TEST,
      'invalid spec.excludeIPs',
      { ips, excludeIPs: ['invalid IP range'] },
      /spec\.excludeIPs\[0\]/,
    ],
    [WEBHOOK_TEST, 'spec.excludeIPs outside spec.subnet', { ips, excludeIPs: ['172.18.41.2'] }, /outside/],
    [WEBHOOK_TEST, 'invalid spec.gateway', { ips, gateway: 'invalid IP' }, /spec\.gateway/],
    [
      WEBHOOK_TEST,
      'spec.gateway outside spec.subnet',
      { ips, gateway: '172.18.41.1' },
      /spec\.gateway.*outside/,
    ],
    [
      WEBHOOK_TEST,
      'spec.gateway inside spec.ips',
      { ips, gateway: '172.18.40.10' },
      /contains spec\.gateway/,
    ],
    [
      WEBHOOK_TEST,
      'spec.gateway excluded through spec.excludeIPs',
      { ips, gateway: '172.18.40.10', excludeIPs: ['172.18.40.10'] },
      undefined,
    ],
    [
      WEBHOOK_TEST,
      'a default route',
      { ips, routes: [{ dst: '0.0.0.0/0', gw: '172.18.40.1' }] },
      /default route/,
    ],
    [
      WEBHOOK_TEST,
      'duplicate routes',
      {
        ips,
        routes: [
          { dst: '192.168.40.0/24', gw: '172.18.40.1' },
          { dst: '192.168.40.0/24', gw: '172.18.40.1' },
        ],
      },
      /listed twice/,
    ],
    [
      WEBHOOK_TEST,
      'invalid route dst',
      { ips, routes: [{ dst: 'invalid', gw: '172.18.40.1' }] },
      /routes\[0\]\.dst/,
    ],
    [
      WEBHOOK_TEST,
      'invalid route gw',
      { ips, routes: [{ dst: '192.168.40.0/24', gw: 'invalid' }] },
      /routes\[0\]\.gw/,
    ],
    [
      WEBHOOK_TEST,
      'route gw outside spec.subnet',
      { ips, routes: [{ dst: '192.168.40.0/24', gw: '172.18.41.1' }] },
      /routes\[0\]\.gw.*outside/,
    ],
    [
      WEBHOOK_TEST,
      'empty podAffinity',
      { ips, podAffinity: { matchLabels: {}, matchExpressions: [] } },
      /empty/,
    ],
    [WEBHOOK_TEST, 'a valid podAffinity', { ips, podAffinity: { matchLabels: { app: 'web' } } }, undefined],
    [
      WEBHOOK_TEST,
      'IPv4 pool with all fields valid',
      {
        ips,
        excludeIPs: ['172.18.40.3'],
        gateway: '172.18.40.1',
        routes: [{ dst: '192.168.40.0/24', gw: '172.18.40.1' }],
        default: true,
      },
      undefined,
    ],
    [
      WEBHOOK_TEST,
      'IPv6 pool with all fields valid',
      {
        ipVersion: 6,
        subnet: 'abcd:1234::/120',
        ips: ['abcd:1234::2-abcd:1234::3', 'abcd:1234::a'],
        gateway: 'abcd:1234::1',
        routes: [{ dst: 'fd00:40::/120', gw: 'abcd:1234::1' }],
      },
      undefined,
    ],
    [RANGE_TEST, 'spec.ips written with spaces', { ips: ['172.18.40.2 - 172.18.40.3'] }, /spec\.ips\[0\]/],
  ];
  for (const [from, what, spec, want] of rows) {
    it(`${what} (${from})`, () => {
      const issues = validatePool(pool(spec)).map((i) => `${i.field}: ${i.message}`);
      if (want === undefined) assert.deepEqual(issues, []);
      else
        assert.ok(
          issues.some((t) => want.test(t)),
          issues.join('\n') || 'no issue',
        );
    });
  }
  it(`two pools whose spec.ips overlap are both refused (${WEBHOOK_TEST}: overlaps with existing IPPool)`, () => {
    const issues = validatePools([
      pool({ ips: ['172.18.40.2-172.18.40.5'] }, 'a'),
      pool({ ips: ['172.18.40.5'] }, 'b'),
    ]);
    assert.ok((issues.get('a')?.length ?? 0) + (issues.get('b')?.length ?? 0) > 0);
  });
});
