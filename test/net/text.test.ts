// src/net's helpers over address text, as the coordinator and the kernel layers use them: the family
// as written, CIDR split and arithmetic, and the kernel's byte form — tricky spellings included.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { addrOf, cidrHas, cidrKey, hostCidr, networkCidr, splitCidr } from '../../src/net/cidr.js';
import { bytesToIp, familyOf, IpSyntaxError, ipToBytes } from '../../src/net/ip.js';

describe('src/net text helpers', () => {
  it('the family as written: a colon is IPv6, IPv4-mapped included', () => {
    for (const [text, fam] of [
      ['10.0.0.1', 4],
      ['10.0.0.0/8', 4],
      ['fd00::1/64', 6],
      ['::ffff:10.0.0.1', 6],
    ] as const)
      assert.equal(familyOf(text), fam, text);
  });

  it('splits, clears host bits and compares CIDRs however IPv6 is spelled', () => {
    assert.deepEqual(splitCidr('10.0.0.5/24'), { ip: '10.0.0.5', prefix: 24 });
    assert.deepEqual(splitCidr('fd00::5'), { ip: 'fd00::5', prefix: 128 });
    assert.equal(addrOf('fd00::5/64'), 'fd00::5');
    assert.equal(hostCidr('10.0.0.5/24'), '10.0.0.5/32');
    assert.equal(hostCidr('fd00::5'), 'fd00::5/128');
    assert.equal(networkCidr('10.96.7.1/12'), '10.96.0.0/12');
    assert.equal(networkCidr('fd00:1::5/64'), 'fd00:1::/64');
    assert.equal(networkCidr('10.0.0.9'), '10.0.0.9/32');
    assert.equal(cidrKey('fd00:1:0:0:0:0:0:0/64'), cidrKey('FD00:1::/64'));
    assert.notEqual(cidrKey('10.0.0.0/24'), cidrKey('10.0.0.0/25'));
    assert.throws(() => cidrKey('10.0.0.256/24'), IpSyntaxError);
  });

  it('membership is per family and refuses what does not parse', () => {
    assert.ok(cidrHas('10.10.0.0/24', '10.10.0.11'));
    assert.ok(!cidrHas('10.10.0.0/24', '10.10.1.11'));
    assert.ok(!cidrHas('10.10.0.0/24', 'fd00::1'));
    assert.ok(cidrHas('fd00::/64', 'fd00::ffff'));
    assert.ok(!cidrHas('10.10.0.0/24', '010.10.0.11'), 'leading zeros are not an address');
    assert.ok(!cidrHas('10.10.0.0/24', '10.10.0.11%eth0'), 'no zones');
  });

  it('the kernel byte form round-trips; IPv4-mapped stays 16 bytes and prints with a dotted tail', () => {
    for (const [text, hex, back] of [
      ['10.0.0.1', '0a000001', '10.0.0.1'],
      ['fd00::1', 'fd000000000000000000000000000001', 'fd00::1'],
      ['::ffff:10.0.0.1', '00000000000000000000ffff0a000001', '::ffff:10.0.0.1'],
      ['FD00:0:0:0:1:0:0:0', 'fd000000000000000001000000000000', 'fd00::1:0:0:0'],
      ['::', '00000000000000000000000000000000', '::'],
    ] as const) {
      assert.equal(ipToBytes(text).toString('hex'), hex, text);
      assert.equal(bytesToIp(Buffer.from(hex, 'hex')), back, text);
    }
    for (const bad of ['10.0.0', '1.2.3.04', 'fe80::1%eth0', '1::2::3', ' 10.0.0.1'])
      assert.throws(() => ipToBytes(bad), IpSyntaxError, bad);
  });
});
