// sysctl inside a namespace (named and /proc/PID paths) without touching the host's values.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { Iproute2Kernel, KernelError, LinkNotFound } from '../../src/kernel/index.js';
import { makeNetns, makePidNetns, type PidNetns, type TestNetns } from '../helpers/netns.js';

const k = new Iproute2Kernel();
const exec = promisify(execFile);
/** Read independently of the code under test. */
const read = async (nsPath: string, key: string) =>
  (
    await exec('nsenter', [`--net=${nsPath}`, '--', 'cat', `/proc/sys/${key}`], { encoding: 'utf8' })
  ).stdout.trim();
const host = async (key: string) => (await readFile(`/proc/sys/${key}`, 'utf8')).trim();

describe('kernel: sysctl', () => {
  let ns: TestNetns;
  let pid: PidNetns;
  before(async () => {
    ns = await makeNetns('tk');
    pid = await makePidNetns();
    // A dotted interface name, like a VLAN sub-interface, exercises the key syntax.
    await k.createLink(ns.path, { kind: 'veth', name: 'tkd.100', peer: 'tkd0' });
  });
  after(async () => {
    await ns?.cleanup();
    await pid?.cleanup();
  });

  for (const where of ['named', 'pid'] as const) {
    it(`sets and gets in a ${where} namespace; the host value stays`, async () => {
      const path = where === 'named' ? ns.path : pid.path;
      const before = await host('net/ipv4/ip_forward');
      const flipped = before === '1' ? '0' : '1';
      await k.sysctlSet(path, 'net.ipv4.ip_forward', flipped);
      assert.equal(await read(path, 'net/ipv4/ip_forward'), flipped);
      assert.equal(await k.sysctlGet(path, 'net/ipv4/ip_forward'), flipped);
      assert.equal(await host('net/ipv4/ip_forward'), before);
    });
  }

  it('takes slash keys with dots in interface names, and multi-value keys', async () => {
    await k.sysctlSet(ns.path, 'net/ipv4/conf/tkd.100/arp_notify', '1');
    await k.sysctlSet(ns.path, 'net/ipv6/conf/tkd.100/ndisc_notify', '1');
    assert.equal(await read(ns.path, 'net/ipv4/conf/tkd.100/arp_notify'), '1');
    assert.equal(await k.sysctlGet(ns.path, 'net/ipv6/conf/tkd.100/ndisc_notify'), '1');
    assert.equal(await k.sysctlGet(ns.path, '/proc/sys/net/ipv4/conf/tkd0/arp_notify'), '0');
    await k.sysctlSet(ns.path, 'net.ipv4.ip_local_port_range', '20000\t30000');
    assert.equal(await k.sysctlGet(ns.path, 'net.ipv4.ip_local_port_range'), '20000\t30000');
  });

  it('reads the own namespace without a namespace path', async () => {
    assert.equal(await k.sysctlGet(null, 'net.ipv4.ip_forward'), await host('net/ipv4/ip_forward'));
  });

  it('a key of a missing interface is LinkNotFound; non-net keys are refused before running anything', async () => {
    await assert.rejects(
      k.sysctlSet(ns.path, 'net/ipv4/conf/tknope/arp_notify', '1'),
      (e: unknown) => e instanceof LinkNotFound && e.link === 'tknope',
    );
    await assert.rejects(k.sysctlGet(pid.path, 'net/ipv6/conf/tknope/disable_ipv6'), LinkNotFound);
    await assert.rejects(k.sysctlGet(null, 'net/ipv4/conf/tknope/arp_notify'), LinkNotFound);
    for (const bad of ['kernel.hostname', 'net/../kernel/hostname', 'net.ipv4.ip_forward=1 x']) {
      await assert.rejects(
        k.sysctlSet(ns.path, bad, '1'),
        (e: unknown) => e instanceof KernelError && e.argv.length === 0,
      );
    }
  });
});
