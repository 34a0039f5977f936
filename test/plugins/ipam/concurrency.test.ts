// Many trunkline-ipam processes at once, as a node does when pods start in bulk: distinct addresses,
// exhaustion as a typed error, no partial dual stack, and SIGKILLed ADDs cleaned up by GC.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { SqliteStore } from '../../../src/store/sqlite.js';
import { cniEnv } from '../../helpers/cni.js';
import { type IpamInstall, installIpam, netConf, podArgs } from './fixture.js';

const POOLS = `
apiVersion: spiderpool.spidernet.io/v2beta1
kind: SpiderIPPool
metadata: {name: bulk-v4}
spec: {subnet: 10.77.0.0/24, ips: [10.77.0.0-10.77.0.255], excludeIPs: [10.77.0.1], gateway: 10.77.0.1}
---
apiVersion: spiderpool.spidernet.io/v2beta1
kind: SpiderIPPool
metadata: {name: bulk-v6}
spec: {subnet: "fd77::/64", ips: ["fd77::1-fd77::28"]}
---
apiVersion: spiderpool.spidernet.io/v2beta1
kind: SpiderIPPool
metadata: {name: crash-v4}
spec: {subnet: 10.78.0.0/24, ips: [10.78.0.1-10.78.0.254]}
`;

let inst: IpamInstall;
before(async () => {
  inst = await installIpam({ 'pools.yaml': POOLS });
});
after(() => inst.cleanup());

interface Outcome {
  cid: string;
  code: number | null;
  signal: NodeJS.Signals | null;
  json: Record<string, unknown> | undefined;
}

function add(cid: string, ipam: Record<string, unknown>): { child: ChildProcess; done: Promise<Outcome> } {
  const env = cniEnv({
    command: 'ADD',
    containerId: cid,
    netns: '/var/run/netns/ti-none',
    ifname: 'eth1',
    args: podArgs('bulk', cid),
    path: [join(inst.dir, 'cni')],
  });
  const child = spawn(inst.exe, [], { env, stdio: ['pipe', 'pipe', 'ignore'] });
  let out = '';
  child.stdout?.on('data', (c: Buffer) => {
    out += c.toString();
  });
  child.stdin?.on('error', () => {});
  child.stdin?.end(JSON.stringify(netConf(inst, ipam)));
  const done = new Promise<Outcome>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => {
      let json: Record<string, unknown> | undefined;
      try {
        json = JSON.parse(out) as Record<string, unknown>;
      } catch {
        json = undefined;
      }
      resolve({ cid, code, signal, json });
    });
  });
  return { child, done };
}

const addresses = (o: Outcome) => ((o.json?.['ips'] ?? []) as { address: string }[]).map((i) => i.address);

async function list(): Promise<Awaited<ReturnType<SqliteStore['list']>>> {
  const s = new SqliteStore({ path: inst.db });
  try {
    return await s.list();
  } finally {
    await s.close();
  }
}

describe('trunkline-ipam under load', { timeout: 600_000 }, () => {
  it('200 concurrent ADDs on a /24, then dual-stack and IPv4 waves until exhaustion', async () => {
    const v4 = { default_ipv4_ippool: ['bulk-v4'] };
    const t0 = Date.now();
    const wave1 = await Promise.all(Array.from({ length: 200 }, (_, i) => add(`a${i}`, v4).done));
    console.log(
      `# 200 concurrent trunkline-ipam ADD processes finished in ${((Date.now() - t0) / 1000).toFixed(1)} s`,
    );
    assert.deepEqual(
      wave1.filter((o) => o.code !== 0).map((o) => o.json),
      [],
    );
    const ips = wave1.map((o) => addresses(o)[0]);
    assert.equal(new Set(ips).size, 200);
    for (const ip of ips) assert.match(ip ?? '', /^10\.77\.0\.(\d+)\/24$/);
    assert.ok(
      !ips.includes('10.77.0.0/24') && !ips.includes('10.77.0.255/24') && !ips.includes('10.77.0.1/24'),
    );

    // 53 IPv4 left (gateway excluded); IPv6 has 40: later dual-stack ADDs must roll their IPv4 back.
    const wave2 = await Promise.all(
      Array.from({ length: 70 }, (_, i) => add(`b${i}`, { ...v4, default_ipv6_ippool: ['bulk-v6'] }).done),
    );
    assert.equal(wave2.filter((o) => o.code === 0).length, 40);
    for (const o of wave2.filter((x) => x.code !== 0)) {
      assert.equal(o.json?.['code'], 100);
      assert.match(
        String(o.json?.['msg']),
        /no free IPv6 address for pod bulk\/b\d+ interface eth1: pool "bulk-v6" is exhausted/,
      );
    }
    const wave3 = await Promise.all(Array.from({ length: 20 }, (_, i) => add(`c${i}`, v4).done));
    assert.equal(wave3.filter((o) => o.code === 0).length, 13);
    for (const o of wave3.filter((x) => x.code !== 0)) {
      assert.equal(o.json?.['code'], 100);
      assert.match(
        String(o.json?.['msg']),
        /no free IPv4 address for pod bulk\/c\d+ interface eth1: pool "bulk-v4" is exhausted/,
      );
    }
    const all = await list();
    assert.equal(all.filter((a) => a.pool === 'bulk-v4').length, 253);
    assert.equal(all.filter((a) => a.pool === 'bulk-v6').length, 40);
    assert.equal(new Set(all.map((a) => a.ip)).size, all.length);
    const failed = new Set([...wave2, ...wave3].filter((o) => o.code !== 0).map((o) => o.cid));
    assert.ok(
      all.every((a) => !failed.has(a.containerId)),
      'no partial dual-stack allocation',
    );
  });

  it('ADDs SIGKILLed at random points, then GC with the live holders: allocated == live, no duplicates', async () => {
    const ipam = { default_ipv4_ippool: ['crash-v4'] };
    const runs = Array.from({ length: 60 }, (_, i) => add(`k${i}`, ipam));
    const timers = runs.map((r, i) =>
      i % 2 === 0 ? setTimeout(() => r.child.kill('SIGKILL'), Math.floor(Math.random() * 400)) : undefined,
    );
    const outcomes = await Promise.all(runs.map((r) => r.done));
    for (const t of timers) if (t) clearTimeout(t);
    const live = outcomes.filter((o) => o.code === 0);
    const killed = outcomes.filter((o) => o.signal === 'SIGKILL');
    console.log(`# crash burst: ${killed.length} ADD processes killed, ${live.length} completed`);
    assert.ok(killed.length > 0);
    assert.equal(live.length + killed.length, 60, 'every ADD either completed or was killed');

    const gc = spawn(inst.exe, [], {
      env: cniEnv({ command: 'GC', path: [join(inst.dir, 'cni')] }),
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    gc.stdin?.end(
      JSON.stringify(
        netConf(inst, ipam, {
          'cni.dev/valid-attachments': live.map((o) => ({ containerID: o.cid, ifname: 'eth1' })),
        }),
      ),
    );
    const gcCode = await new Promise<number | null>((resolve) => gc.on('close', resolve));
    assert.equal(gcCode, 0);

    const held = (await list()).filter((a) => a.pool === 'crash-v4');
    assert.deepEqual(
      new Map(held.map((a) => [a.containerId, `${a.ip}/24`])),
      new Map(live.map((o) => [o.cid, addresses(o)[0]])),
      'allocated == live holders, with the addresses their ADD returned',
    );
    assert.equal(new Set(held.map((a) => a.ip)).size, held.length);
  });
});
