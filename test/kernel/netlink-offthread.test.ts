// The netlink backend never blocks the event loop: every addon call (socket in a namespace, request,
// sysctl) returns a promise and runs on the thread pool, and each request's wait for replies is
// bounded. A request the kernel never answers (RTM_SETLINK without NLM_F_ACK: the kernel applies it
// and stays silent) stands for a held namespace or a stuck dump: while it waits, another pod's
// whole set-up in another namespace completes and timers keep firing; then it fails with ETIMEDOUT.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Iproute2Kernel } from '../../src/kernel/iproute2/kernel.js';
import { loadAddon } from '../../src/kernel/netlink/addon.js';
import { NetlinkKernel } from '../../src/kernel/netlink/kernel.js';
import { Scene } from '../helpers/netns.js';
import { DIST } from '../helpers/paths.js';
import { silentRequest } from '../helpers/silent-netlink.js';
import { tierSkip } from '../helpers/tier.js';

const ADDON = join(DIST, 'lib', 'trunkline_netlink.node');
const HOLD_MS = 2000;

describe('netlink backend off the main thread', {
  skip: tierSkip('netlink', existsSync(ADDON) ? undefined : `no ${ADDON}`),
}, () => {
  const scene = new Scene('tno');
  let held: { name: string; path: string };
  let pod: { name: string; path: string };
  before(() => {
    held = scene.netns('held');
    pod = scene.netns('pod');
  });
  after(() => scene.cleanup());

  it('opens sockets, sends requests and reads sysctls through promises', async () => {
    const addon = loadAddon(ADDON);
    const opened = addon.socket(held.path);
    assert.ok(opened instanceof Promise, 'socket() must not enter the namespace on the caller thread');
    const fd = await opened;
    try {
      const sent = addon.transact(fd, silentRequest(1), 50);
      assert.ok(sent instanceof Promise);
      await assert.rejects(sent, { code: 'ETIMEDOUT' });
    } finally {
      addon.close(fd);
    }
    const read = addon.sysctl(held.path, '/proc/sys/net/ipv4/ip_forward');
    assert.ok(read instanceof Promise);
    assert.match((await read) ?? '', /^[01]\n$/);
  });

  it('a request the kernel never answers is cut off at its bound and holds up no other pod', {
    timeout: 30_000,
  }, async (t) => {
    const addon = loadAddon(ADDON);
    const k = new NetlinkKernel(addon, new Iproute2Kernel());
    const fd = await addon.socket(held.path);
    let maxGap = 0;
    let last = Date.now();
    const ticker = setInterval(() => {
      const now = Date.now();
      maxGap = Math.max(maxGap, now - last);
      last = now;
    }, 10);
    const t0 = Date.now();
    let heldSettled = false;
    const heldCall = addon.transact(fd, silentRequest(7), HOLD_MS).finally(() => {
      heldSettled = true;
    });
    try {
      // Another pod's ADD, all through the same addon and thread pool: links, address, route, reads.
      await k.createLink(pod.path, { kind: 'veth', name: 'tno0', peer: 'tno1' });
      await k.setLink(pod.path, 'tno0', { up: true, mtu: 1400 });
      await k.addAddr(pod.path, 'tno0', '10.250.0.2/24');
      await k.addRoute(pod.path, { family: 4, dst: '10.251.0.0/16', gw: '10.250.0.1', dev: 'tno0' });
      await k.sysctlSet(pod.path, 'net.ipv4.conf.tno0.arp_notify', '1');
      const link = await k.getLink(pod.path, 'tno0');
      const addrs = await k.listAddrs(pod.path, 'tno0');
      const routes = await k.listRoutes(pod.path);
      const podMs = Date.now() - t0;
      assert.equal(heldSettled, false, 'the held request settled before the other pod was done');
      assert.deepEqual([link.up, link.mtu], [true, 1400]);
      assert.deepEqual(
        addrs.map((a) => a.cidr),
        ['10.250.0.2/24'],
      );
      assert.ok(routes.some((r) => r.dst === '10.251.0.0/16'));
      await assert.rejects(heldCall, { code: 'ETIMEDOUT' });
      const heldMs = Date.now() - t0;
      t.diagnostic(
        `other pod done after ${podMs} ms; held request cut off after ${heldMs} ms; max timer gap ${maxGap} ms`,
      );
      assert.ok(podMs < HOLD_MS, `the other pod took ${podMs} ms`);
      assert.ok(heldMs >= HOLD_MS - 20 && heldMs < HOLD_MS + 3000, `held for ${heldMs} ms, bound ${HOLD_MS}`);
      assert.ok(maxGap < HOLD_MS / 2, `the event loop stalled for ${maxGap} ms`);
    } finally {
      clearInterval(ticker);
      addon.close(fd);
    }
  });
});
