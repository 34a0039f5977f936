// The macvlan plugin as a runtime calls it: a real process, real namespaces, observed with `ip -j`.
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type CniCall, runCni } from '../../helpers/cni.js';
import { ip, ipj, links, Scene, sysctl } from '../../helpers/netns.js';
import { DIST_CNI, REF_CNI } from '../../helpers/paths.js';

const PLUGIN = join(DIST_CNI, 'trunkline-macvlan');
const scene = new Scene('tlm');
let host: ReturnType<Scene['host']>;
let work: string;
let bin: string;

before(() => {
  host = scene.host('h', 1500);
  work = mkdtempSync(join(tmpdir(), 'tl-macvlan-'));
  bin = join(work, 'bin');
  mkdirSync(bin);
  const script = (name: string, body: string) => {
    writeFileSync(join(bin, name), `#!/bin/sh\ncat >/dev/null\n${body}\n`);
    chmodSync(join(bin, name), 0o755);
  };
  script(
    'failing-ipam',
    'echo \'{"cniVersion":"1.0.0","code":11,"msg":"pool temporarily unavailable"}\'; exit 1',
  );
});
after(() => {
  scene.cleanup();
  rmSync(work, { recursive: true, force: true });
});

let seq = 0;
function hostLocal(extra: Record<string, unknown> = {}) {
  const dataDir = join(work, `hl${++seq}`);
  return {
    dataDir,
    ipam: {
      type: 'host-local',
      dataDir,
      ranges: [[{ subnet: '10.88.0.0/24', gateway: '10.88.0.1' }]],
      routes: [{ dst: '0.0.0.0/0' }, { dst: '192.0.2.0/24', gw: '10.88.0.254' }],
      ...extra,
    },
  };
}
const conf = (o: Record<string, unknown>) => ({
  cniVersion: '1.0.0',
  name: 'mv-test',
  type: 'trunkline-macvlan',
  master: 'uplink0',
  ...o,
});
const call = (command: string, pod: string, o: Partial<CniCall> = {}): CniCall => ({
  command,
  containerId: `c${seq}`,
  netns: pod,
  ifname: 'eth0',
  path: [DIST_CNI, bin, REF_CNI],
  ...o,
});
const held = (dataDir: string) => {
  try {
    return readdirSync(join(dataDir, 'mv-test')).filter((f) => /^\d/.test(f));
  } catch {
    return [];
  }
};
type Link = {
  ifname: string;
  address: string;
  mtu: number;
  operstate: string;
  flags: string[];
  linkinfo?: { info_kind: string; info_data?: { mode?: string } };
};

describe('macvlan ADD/CHECK/DEL in namespaces', () => {
  it('creates eth0 with the configured MAC, MTU, mode, addresses, routes and sysctls', async () => {
    const pod = scene.netns('p1');
    const { dataDir, ipam } = hostLocal();
    const c = conf({
      mode: 'private',
      mtu: 1400,
      mac: '02:00:00:aa:bb:01',
      ipam,
      dns: { nameservers: ['10.96.0.10'] },
    });
    const r = await runCni(PLUGIN, call('ADD', pod.path), c, host.path);
    assert.equal(r.code, 0, r.stdout);
    const link = ipj<Link[]>(pod.name, ['-d', 'link', 'show', 'eth0'])[0]!;
    assert.equal(link.address, '02:00:00:aa:bb:01');
    assert.equal(link.mtu, 1400);
    assert.equal(link.linkinfo?.info_kind, 'macvlan');
    assert.equal(link.linkinfo?.info_data?.mode, 'private');
    assert.ok(link.flags.includes('UP'));
    const addrs = ipj<{ addr_info: { family: string; local: string; prefixlen: number }[] }[]>(pod.name, [
      'addr',
      'show',
      'eth0',
    ])[0]!.addr_info.filter((a) => a.family === 'inet');
    assert.deepEqual(
      addrs.map((a) => `${a.local}/${a.prefixlen}`),
      ['10.88.0.2/24'],
    );
    const routes = ipj<{ dst: string; gateway?: string; dev: string }[]>(pod.name, ['route', 'show']);
    assert.ok(
      routes.some((x) => x.dst === 'default' && x.gateway === '10.88.0.1' && x.dev === 'eth0'),
      JSON.stringify(routes),
    );
    assert.ok(routes.some((x) => x.dst === '192.0.2.0/24' && x.gateway === '10.88.0.254'));
    assert.equal(sysctl(pod.name, 'net/ipv4/conf/eth0/arp_notify'), '1');
    assert.equal(sysctl(pod.name, 'net/ipv6/conf/eth0/ndisc_notify'), '1');
    assert.deepEqual(r.json, {
      cniVersion: '1.0.0',
      interfaces: [{ name: 'eth0', mac: '02:00:00:aa:bb:01', sandbox: pod.path }],
      ips: [{ interface: 0, address: '10.88.0.2/24', gateway: '10.88.0.1' }],
      routes: [{ dst: '0.0.0.0/0' }, { dst: '192.0.2.0/24', gw: '10.88.0.254' }],
      dns: { nameservers: ['10.96.0.10'] },
    });
    assert.deepEqual(links(host.name).sort(), ['lo', 'uplink0'], 'nothing left on the host side');

    // CHECK passes on the untouched state.
    const withPrev = { ...c, prevResult: r.json };
    assert.equal((await runCni(PLUGIN, call('CHECK', pod.path), withPrev, host.path)).code, 0);

    // DEL releases the address and removes the link; a second DEL is still success.
    assert.equal((await runCni(PLUGIN, call('DEL', pod.path), c, host.path)).code, 0);
    assert.deepEqual(links(pod.name), ['lo']);
    assert.deepEqual(held(dataDir), []);
    assert.equal((await runCni(PLUGIN, call('DEL', pod.path), c, host.path)).code, 0);
  });

  for (const [what, tamper] of [
    ['mode', (ns: string) => ip(['-n', ns, 'link', 'set', 'eth0', 'type', 'macvlan', 'mode', 'vepa'])],
    ['MAC', (ns: string) => ip(['-n', ns, 'link', 'set', 'eth0', 'address', '02:00:00:00:00:99'])],
    ['address', (ns: string) => ip(['-n', ns, 'addr', 'del', '10.88.0.2/24', 'dev', 'eth0'])],
    ['route', (ns: string) => ip(['-n', ns, 'route', 'del', '192.0.2.0/24'])],
  ] as const) {
    it(`CHECK fails after the ${what} was changed`, async () => {
      const pod = scene.netns(`k${what.slice(0, 3)}`);
      const { ipam } = hostLocal();
      const c = conf({ ipam });
      const r = await runCni(PLUGIN, call('ADD', pod.path), c, host.path);
      assert.equal(r.code, 0, r.stdout);
      assert.equal(
        (await runCni(PLUGIN, call('CHECK', pod.path), { ...c, prevResult: r.json }, host.path)).code,
        0,
      );
      tamper(pod.name);
      const chk = await runCni(PLUGIN, call('CHECK', pod.path), { ...c, prevResult: r.json }, host.path);
      assert.notEqual(chk.code, 0, `CHECK should notice the ${what} change`);
      assert.equal(typeof chk.json?.['code'], 'number');
      assert.equal((await runCni(PLUGIN, call('DEL', pod.path), c, host.path)).code, 0);
    });
  }

  it('DEL succeeds after the pod namespace is gone, and with no netns at all, and releases the IP', async () => {
    const pod = scene.netns('gone');
    const { dataDir, ipam } = hostLocal();
    const c = conf({ ipam });
    assert.equal((await runCni(PLUGIN, call('ADD', pod.path), c, host.path)).code, 0);
    assert.equal(held(dataDir).length, 1);
    scene.remove(pod.name);
    assert.equal((await runCni(PLUGIN, call('DEL', pod.path), c, host.path)).code, 0);
    assert.deepEqual(held(dataDir), []);
    assert.equal((await runCni(PLUGIN, call('DEL', ''), c, host.path)).code, 0);
  });

  it('DEL does not fail when the master is gone', async () => {
    const pod = scene.netns('nomaster');
    const c = conf({ master: 'nosuchmaster0', ipam: hostLocal().ipam });
    assert.equal((await runCni(PLUGIN, call('DEL', pod.path), c, host.path)).code, 0);
  });

  it('an IPAM that fails leaves no link anywhere', async () => {
    const pod = scene.netns('ipamfail');
    const r = await runCni(
      PLUGIN,
      call('ADD', pod.path),
      conf({ ipam: { type: 'failing-ipam' } }),
      host.path,
    );
    assert.notEqual(r.code, 0);
    assert.equal(r.json?.['code'], 11, 'the IPAM error is passed through');
    assert.deepEqual(links(pod.name), ['lo']);
    assert.deepEqual(links(host.name).sort(), ['lo', 'uplink0']);
  });

  it('a failure after IPAM (unreachable route gateway) releases the address and the link', async () => {
    const pod = scene.netns('routefail');
    const { dataDir, ipam } = hostLocal({ routes: [{ dst: '198.51.100.0/24', gw: '172.31.255.1' }] });
    const r = await runCni(PLUGIN, call('ADD', pod.path), conf({ ipam }), host.path);
    assert.notEqual(r.code, 0, r.stdout);
    assert.deepEqual(links(pod.name), ['lo']);
    assert.deepEqual(held(dataDir), [], 'IPAM DEL ran');
  });

  it('a pod that already has a default route (an overlay eth0) gets a second one, as with the reference', async () => {
    const pod = scene.netns('ovl');
    ip(['-n', pod.name, 'link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', 'peer0']);
    ip(['-n', pod.name, 'addr', 'add', '10.233.64.5/32', 'dev', 'eth0']);
    ip(['-n', pod.name, 'link', 'set', 'eth0', 'up']);
    ip(['-n', pod.name, 'route', 'add', '169.254.1.1', 'dev', 'eth0', 'scope', 'link']);
    ip(['-n', pod.name, 'route', 'add', 'default', 'via', '169.254.1.1', 'dev', 'eth0']);
    const { dataDir, ipam } = hostLocal();
    const r = await runCni(PLUGIN, call('ADD', pod.path, { ifname: 'net1' }), conf({ ipam }), host.path);
    assert.equal(r.code, 0, r.stdout);
    const defaults = ipj<{ dst: string; gateway?: string; dev: string }[]>(pod.name, [
      'route',
      'show',
      'default',
    ]);
    assert.deepEqual(defaults.map((d) => `${d.gateway} ${d.dev}`).sort(), [
      '10.88.0.1 net1',
      '169.254.1.1 eth0',
    ]);
    assert.equal(
      (await runCni(PLUGIN, call('DEL', pod.path, { ifname: 'net1' }), conf({ ipam }), host.path)).code,
      0,
    );
    assert.deepEqual(held(dataDir), []);
  });

  it('L2 only without IPAM: link up, no address', async () => {
    const pod = scene.netns('l2');
    const r = await runCni(PLUGIN, call('ADD', pod.path), conf({}), host.path);
    assert.equal(r.code, 0, r.stdout);
    const link = ipj<Link[]>(pod.name, ['link', 'show', 'eth0'])[0]!;
    assert.ok(link.flags.includes('UP'));
    const v4 = ipj<{ addr_info: { family: string }[] }[]>(pod.name, [
      'addr',
      'show',
      'eth0',
    ])[0]!.addr_info.filter((a) => a.family === 'inet');
    assert.equal(v4.length, 0);
    assert.equal((r.json?.['interfaces'] as unknown[] | undefined)?.length, 1);
    assert.equal(r.json?.['ips'], undefined);
  });

  it('MAC precedence: config < CNI_ARGS MAC= < runtimeConfig.mac', async () => {
    const cases: [Record<string, unknown>, string | undefined, string][] = [
      [{ mac: '02:00:00:00:01:01' }, undefined, '02:00:00:00:01:01'],
      [{ mac: '02:00:00:00:01:01' }, 'IgnoreUnknown=1;MAC=02:00:00:00:01:02', '02:00:00:00:01:02'],
      [
        { mac: '02:00:00:00:01:01', runtimeConfig: { mac: '02:00:00:00:01:03' } },
        'MAC=02:00:00:00:01:02',
        '02:00:00:00:01:03',
      ],
    ];
    for (const [i, [extra, args, want]] of cases.entries()) {
      const pod = scene.netns(`mac${i}`);
      const r = await runCni(
        PLUGIN,
        call('ADD', pod.path, args !== undefined ? { args } : {}),
        conf(extra),
        host.path,
      );
      assert.equal(r.code, 0, r.stdout);
      assert.equal(ipj<Link[]>(pod.name, ['link', 'show', 'eth0'])[0]!.address, want);
    }
  });

  it('IPv6 with a gateway: waits for DAD, adds the address and the default route', async () => {
    const pod = scene.netns('v6');
    const ipam = {
      type: 'static',
      addresses: [{ address: 'fd00:88::5/64', gateway: 'fd00:88::1' }],
      routes: [{ dst: '::/0' }],
    };
    const r = await runCni(PLUGIN, call('ADD', pod.path), conf({ ipam }), host.path);
    assert.equal(r.code, 0, r.stdout);
    const a6 = ipj<{ addr_info: { family: string; local: string; scope: string; tentative?: boolean }[] }[]>(
      pod.name,
      ['addr', 'show', 'eth0'],
    )[0]!.addr_info.filter((a) => a.family === 'inet6' && a.scope === 'global');
    assert.deepEqual(
      a6.map((a) => [a.local, a.tentative ?? false]),
      [['fd00:88::5', false]],
    );
    const r6 = ipj<{ dst: string; gateway?: string }[]>(pod.name, ['-6', 'route', 'show']);
    assert.ok(
      r6.some((x) => x.dst === 'default' && x.gateway === 'fd00:88::1'),
      JSON.stringify(r6),
    );
    assert.equal(sysctl(pod.name, 'net/ipv6/conf/eth0/disable_ipv6'), '0');
  });
});
