import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CniError } from '../../src/cni/errors.js';
import type { Result } from '../../src/cni/types.js';
import { SUPPORTED_VERSIONS } from '../../src/cni/types.js';
import { compareVersions, convertResult, decodeResult, encodeResult } from '../../src/cni/version.js';

const full: Result = {
  cniVersion: '1.1.0',
  interfaces: [{ name: 'eth0', mac: '0a:58:0a:01:01:05', sandbox: '/var/run/netns/p', mtu: 1400 }],
  ips: [
    { address: '10.1.1.5/24', gateway: '10.1.1.1', interface: 0 },
    { address: 'fd00::5/64', gateway: 'fd00::1', interface: 0 },
  ],
  routes: [{ dst: '0.0.0.0/0', gw: '10.1.1.1', priority: 100, table: 100 }, { dst: '::/0' }],
  dns: { nameservers: ['10.0.0.10'], search: ['svc.cluster.local'] },
};

const rank = (v: string) =>
  compareVersions(v, '0.3.0') < 0
    ? 0
    : compareVersions(v, '1.0.0') < 0
      ? 1
      : compareVersions(v, '1.1.0') < 0
        ? 2
        : 3;

describe('result conversion', () => {
  it('encodes each format with its own shape', () => {
    assert.deepEqual(encodeResult(full, '0.2.0'), {
      cniVersion: '0.2.0',
      ip4: { ip: '10.1.1.5/24', gateway: '10.1.1.1', routes: [{ dst: '0.0.0.0/0', gw: '10.1.1.1' }] },
      ip6: { ip: 'fd00::5/64', gateway: 'fd00::1', routes: [{ dst: '::/0' }] },
      dns: { nameservers: ['10.0.0.10'], search: ['svc.cluster.local'] },
    });
    const v04 = encodeResult(full, '0.4.0') as {
      ips: { version: string; interface: number }[];
      interfaces: object[];
    };
    assert.deepEqual(
      v04.ips.map((i) => i.version),
      ['4', '6'],
    );
    assert.deepEqual(v04.interfaces, [
      { name: 'eth0', mac: '0a:58:0a:01:01:05', sandbox: '/var/run/netns/p' },
    ]);
    const v10 = encodeResult(full, '1.0.0') as { ips: object[]; routes: object[] };
    assert.deepEqual(v10.ips[0], { interface: 0, address: '10.1.1.5/24', gateway: '10.1.1.1' });
    assert.deepEqual(v10.routes[0], { dst: '0.0.0.0/0', gw: '10.1.1.1' }, '1.1-only route fields dropped');
    const v11 = encodeResult(full, '1.1.0') as { routes: object[]; interfaces: { mtu: number }[] };
    assert.deepEqual(v11.routes[0], { dst: '0.0.0.0/0', gw: '10.1.1.1', priority: 100, table: 100 });
    assert.equal(v11.interfaces[0]?.mtu, 1400);
  });

  it('always carries "dns" like the Go library, even when empty', () => {
    for (const v of SUPPORTED_VERSIONS)
      assert.deepEqual((encodeResult({ cniVersion: v }, v) as { dns: object }).dns, {});
  });

  for (const from of SUPPORTED_VERSIONS) {
    for (const to of SUPPORTED_VERSIONS) {
      it(`${from} -> ${to} -> ${from}`, () => {
        const src = encodeResult(full, from);
        const there = convertResult(src, from, to);
        assert.equal(there['cniVersion'], to);
        const back = convertResult(there, to, from);
        if (rank(to) >= rank(from)) {
          assert.deepEqual(back, src, 'a richer format loses nothing');
        } else {
          // Through a poorer format: what survives is exactly what the poorer format can carry.
          assert.deepEqual(back, encodeResult(decodeResult(encodeResult(full, to)), from));
        }
        // Addresses and gateways always survive.
        const ips = decodeResult(back, from).ips ?? [];
        assert.deepEqual(
          ips.map((i) => [i.address, i.gateway]),
          [
            ['10.1.1.5/24', '10.1.1.1'],
            ['fd00::5/64', 'fd00::1'],
          ],
        );
      });
    }
  }

  it('rejects an unsupported version with code 1', () => {
    assert.throws(
      () => encodeResult(full, '9.9.9'),
      (e: unknown) => e instanceof CniError && e.code === 1,
    );
  });
  it('rejects undecodable results with code 6', () => {
    assert.throws(
      () => decodeResult({ cniVersion: '1.0.0', ips: [{ gateway: '1.1.1.1' }] }),
      (e: unknown) => e instanceof CniError && e.code === 6,
    );
    assert.throws(
      () => decodeResult('nope'),
      (e: unknown) => e instanceof CniError && e.code === 6,
    );
  });
});
