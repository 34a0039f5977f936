import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { SpiderIPPool } from '../../src/cluster/types.js';
import {
  count,
  formatIntervals,
  formatIp,
  intersect,
  normalize,
  parseCidr,
  parseIp,
  parseRange,
  poolIntervals,
  poolTotalIntervals,
  RangeSyntaxError,
  reservedIntervals,
  subtract,
} from '../../src/ipam/ranges.js';

const iv = (a: number, b: number) => ({ start: BigInt(a), end: BigInt(b) });

function pool(spec: Partial<SpiderIPPool['spec']> & { subnet: string }): SpiderIPPool {
  return { metadata: { name: 'p' }, spec };
}

describe('address parsing and formatting', () => {
  const cases: [string, 4 | 6, string][] = [
    ['10.1.2.3', 4, '10.1.2.3'],
    ['0.0.0.0', 4, '0.0.0.0'],
    ['255.255.255.255', 4, '255.255.255.255'],
    ['2001:DB8::1', 6, '2001:db8::1'],
    ['2001:db8:0:0:1:0:0:1', 6, '2001:db8::1:0:0:1'],
    ['::', 6, '::'],
    ['::1', 6, '::1'],
    ['fe80::', 6, 'fe80::'],
    ['::ffff:10.0.0.1', 6, '::ffff:a00:1'],
    ['2001:db8:1:2:3:4:5:6', 6, '2001:db8:1:2:3:4:5:6'],
    ['2001:0:0:1::1', 6, '2001:0:0:1::1'],
  ];
  for (const [input, family, canonical] of cases) {
    it(`${input} → ${canonical}`, () => {
      const a = parseIp(input);
      assert.ok(a);
      assert.equal(a.family, family);
      assert.equal(formatIp(a.family, a.value), canonical);
    });
  }
  for (const bad of [
    '10.1.2',
    '10.1.2.256',
    '010.1.2.3',
    '1.2.3.4.5',
    ':::',
    '1::2::3',
    '2001:db8::g',
    '',
    '10.0.0.1/24',
    '1:2:3:4:5:6:7:8:9',
  ]) {
    it(`rejects ${JSON.stringify(bad)}`, () => assert.equal(parseIp(bad), undefined));
  }

  it('parses CIDRs, noting host bits', () => {
    const c = parseCidr('10.1.2.3/24');
    assert.equal(c.family, 4);
    assert.equal(c.prefix, 24);
    assert.equal(formatIp(4, c.network), '10.1.2.0');
    assert.equal(formatIp(4, c.broadcast), '10.1.2.255');
    assert.equal(c.isNetwork, false);
    assert.equal(parseCidr('fd00:1::/64').isNetwork, true);
    assert.equal(formatIp(6, parseCidr('fd00:1::/64').broadcast), 'fd00:1::ffff:ffff:ffff:ffff');
    assert.throws(() => parseCidr('10.0.0.0/33'), RangeSyntaxError);
    assert.throws(() => parseCidr('10.0.0.0'), RangeSyntaxError);
    // Go's net.ParseCIDR reads the prefix length with leading zeros allowed.
    assert.equal(parseCidr('10.0.0.0/024').prefix, 24);
  });

  it('parses single addresses and a-b ranges', () => {
    assert.deepEqual(parseRange('10.0.0.5'), {
      family: 4,
      start: parseIp('10.0.0.5')!.value,
      end: parseIp('10.0.0.5')!.value,
    });
    const r = parseRange('fd00::10-fd00::1f');
    assert.equal(r.family, 6);
    assert.equal(r.end - r.start, 15n);
    assert.throws(() => parseRange('10.0.0.9-10.0.0.1'), /start is after its end/);
    assert.throws(() => parseRange('10.0.0.1-fd00::1'), /mixes IPv4 and IPv6/);
    assert.throws(() => parseRange('10.0.0.0/24'), /not an IP address/);
  });
});

describe('interval algebra', () => {
  it('normalizes overlapping and adjacent intervals', () => {
    assert.deepEqual(normalize([iv(10, 12), iv(1, 3), iv(4, 5), iv(11, 20), iv(30, 30)]), [
      iv(1, 5),
      iv(10, 20),
      iv(30, 30),
    ]);
  });
  it('subtracts', () => {
    assert.deepEqual(subtract([iv(1, 10), iv(20, 30)], [iv(0, 1), iv(5, 6), iv(10, 22), iv(30, 40)]), [
      iv(2, 4),
      iv(7, 9),
      iv(23, 29),
    ]);
    assert.deepEqual(subtract([iv(1, 10)], []), [iv(1, 10)]);
    assert.deepEqual(subtract([iv(1, 10)], [iv(0, 100)]), []);
  });
  it('intersects', () => {
    assert.deepEqual(intersect([iv(1, 10), iv(20, 30)], [iv(5, 25)]), [iv(5, 10), iv(20, 25)]);
    assert.deepEqual(intersect([iv(1, 2)], [iv(3, 4)]), []);
  });
  it('counts beyond 2^53 for IPv6', () => {
    const all = parseCidr('fd00::/64');
    assert.equal(count([{ start: all.network, end: all.broadcast }]), 1n << 64n);
  });
});

describe('pool address sets', () => {
  it('IPv4: ips ∩ subnet − excludeIPs − reserved − gateway − network/broadcast', () => {
    const p = pool({
      subnet: '172.31.192.0/20',
      ips: [
        '172.31.199.180-172.31.199.189',
        '172.31.199.205-172.31.199.209',
        '172.31.207.250-172.31.207.255',
      ],
      excludeIPs: ['172.31.199.186-172.31.199.188', '172.31.199.207'],
      gateway: '172.31.207.253',
    });
    assert.deepEqual(formatIntervals(4, poolTotalIntervals(p)), [
      '172.31.199.180-172.31.199.185',
      '172.31.199.189',
      '172.31.199.205-172.31.199.206',
      '172.31.199.208-172.31.199.209',
      '172.31.207.250-172.31.207.255',
    ]);
    const reserved = reservedIntervals(
      [
        {
          metadata: { name: 'r' },
          spec: { ips: ['172.31.199.181', 'fd00::1', '172.31.199.205-172.31.199.206'] },
        },
      ],
      4,
    );
    assert.deepEqual(formatIntervals(4, poolIntervals(p, reserved)), [
      '172.31.199.180',
      '172.31.199.182-172.31.199.185',
      '172.31.199.189',
      '172.31.199.208-172.31.199.209',
      '172.31.207.250-172.31.207.252',
      '172.31.207.254',
    ]);
  });

  it('IPv6 with excludes and a gateway; counts are bigint', () => {
    const p = pool({
      subnet: 'fd00:100::/64',
      ips: ['fd00:100::-fd00:100::ffff'],
      excludeIPs: ['fd00:100::ff00-fd00:100::ffff'],
      gateway: 'fd00:100::1',
    });
    const ivs = poolIntervals(p, []);
    assert.deepEqual(formatIntervals(6, ivs), ['fd00:100::2-fd00:100::feff']);
    assert.equal(count(ivs), 0xfefen);
  });

  it('a whole /16 costs no more than a /24 to describe', () => {
    const p = pool({ subnet: '10.16.0.0/16', ips: ['10.16.0.0-10.16.255.255'], gateway: '10.16.0.1' });
    const ivs = poolIntervals(p, []);
    assert.deepEqual(formatIntervals(4, ivs), ['10.16.0.2-10.16.255.254']);
    assert.equal(count(ivs), 65533n);
  });

  it('/31 and /32 keep every address', () => {
    assert.equal(count(poolIntervals(pool({ subnet: '10.9.0.0/31', ips: ['10.9.0.0-10.9.0.1'] }), [])), 2n);
    assert.equal(count(poolIntervals(pool({ subnet: '10.9.0.7/32', ips: ['10.9.0.7'] }), [])), 1n);
  });
});
