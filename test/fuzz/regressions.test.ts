// One case per cause of a 999 (internal error) the plugin fuzzer found for bad input (issue 16), each
// through the shim with and without the agent, asserting the spec's code, a message, and that nothing
// is left in the pod or on the host. Before the fix: the coordinator ~70 in 1,000 calls (an interface
// named by CNI_IFNAME that no plugin made), macvlan ~14 (CHECK delegated to host-local before its own
// input checks; host-local's own decode errors; a network name too long for a directory), meta ~8
// (the same, through its delegate; and a container ID too long for its cache file's name).
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { agentScene, CNI_PATH } from '../agent/helpers.js';
import { runCni } from '../helpers/cni.js';
import { links } from '../helpers/netns.js';
import { DIST_CNI } from '../helpers/paths.js';

interface Case {
  name: string;
  plugin: string;
  command: string;
  /** The config; `pod` is the pod namespace's path, `dir` a scratch directory. */
  conf: (pod: string, dir: string) => Record<string, unknown>;
  code: number;
  msg: RegExp;
  containerId?: string;
}

const hostLocal = (dir: string, extra: Record<string, unknown> = {}) => ({
  type: 'host-local',
  dataDir: join(dir, 'hl'),
  ranges: [[{ subnet: '10.69.0.0/24' }]],
  ...extra,
});
const macvlan = (dir: string, extra: Record<string, unknown> = {}, ipam = {}) => ({
  cniVersion: '1.0.0',
  name: 'fzr',
  type: 'trunkline-macvlan',
  master: 'uplink0',
  ipam: hostLocal(dir, ipam),
  ...extra,
});
const prevResult = (pod: string) => ({
  cniVersion: '1.0.0',
  interfaces: [{ name: 'eth0', sandbox: pod }],
  ips: [{ address: '10.69.0.9/24', interface: 0 }],
});
const coordinator = (pod: string) => ({
  cniVersion: '1.0.0',
  name: 'fzr',
  type: 'trunkline-coordinator',
  mode: 'underlay',
  prevResult: prevResult(pod),
});
const meta = (dir: string, delegate: Record<string, unknown>) => ({
  cniVersion: '1.0.0',
  name: 'fzr-meta',
  type: 'trunkline',
  cniDir: join(dir, 'cache'),
  binDir: DIST_CNI,
  confDir: join(dir, 'confd'),
  source: { type: 'local', manifestDir: join(dir, 'm'), stateDir: join(dir, 's') },
  delegates: [delegate],
});

const CASES: Case[] = [
  {
    name: 'coordinator ADD for an interface no plugin made',
    plugin: 'trunkline-coordinator',
    command: 'ADD',
    conf: coordinator,
    code: 7,
    msg: /interface eth0 not found in/,
  },
  {
    name: 'coordinator CHECK for an interface that does not exist',
    plugin: 'trunkline-coordinator',
    command: 'CHECK',
    conf: coordinator,
    code: 3,
    msg: /interface eth0 not found in/,
  },
  {
    name: 'coordinator DEL with a prevResult address that is not a CIDR',
    plugin: 'trunkline-coordinator',
    command: 'DEL',
    conf: (pod) => ({
      ...coordinator(pod),
      prevResult: { ...prevResult(pod), ips: [{ address: '`touch /32', interface: 0 }] },
    }),
    code: 6,
    msg: /ips address: "`touch \/32" is not a CIDR/,
  },
  {
    name: 'macvlan CHECK for an attachment never made',
    plugin: 'trunkline-macvlan',
    command: 'CHECK',
    conf: (pod, dir) => macvlan(dir, { prevResult: prevResult(pod) }),
    code: 3,
    msg: /container interface eth0 in prevResult not found/,
  },
  {
    name: 'macvlan CHECK without prevResult',
    plugin: 'trunkline-macvlan',
    command: 'CHECK',
    conf: (_pod, dir) => macvlan(dir),
    code: 7,
    msg: /required prevResult missing/,
  },
  {
    name: 'macvlan CHECK with a prevResult for another sandbox',
    plugin: 'trunkline-macvlan',
    command: 'CHECK',
    conf: (_pod, dir) => macvlan(dir, { prevResult: prevResult('/var/run/netns/elsewhere') }),
    code: 7,
    msg: /sandbox in prevResult doesn't match/,
  },
  ...['ADD', 'DEL'].map((command) => ({
    name: `macvlan ${command} with a network name longer than a directory name`,
    plugin: 'trunkline-macvlan',
    command,
    conf: (_pod: string, dir: string) => macvlan(dir, { name: 'x'.repeat(256) }),
    code: 7,
    msg: /"name" is 256 bytes long/,
  })),
  ...(
    [
      ['a number for a range set', { ranges: [1] }, /ipam\.ranges\[0\] must be a non-empty array/],
      ['a string for the ranges', { ranges: 'x' }, /ipam\.ranges must be an array/],
      ['a bool for a range', { ranges: [[true]] }, /ipam\.ranges\[0\]\[0\] must be an object/],
      ['an empty range set', { ranges: [[]] }, /ipam\.ranges\[0\] must be a non-empty array/],
      ['a range without a subnet', { ranges: [[{ gateway: '10.69.0.1' }]] }, /subnet must be a CIDR/],
      ['no ranges', { ranges: [] }, /no IP ranges specified/],
      ['a gateway that is not an IP', { ranges: [[{ subnet: '10.69.0.0/24', gateway: 'x' }]] }, /gateway/],
      ['a number for ipam.name (Go fills Name from it)', { name: 1 }, /ipam\.name must be a string/],
      ['a route without a destination', { routes: [{ gw: '10.69.0.1' }] }, /routes\[0\]\.dst/],
    ] as const
  ).flatMap(([what, ipam, msg]) =>
    ['ADD', 'DEL'].map((command) => ({
      name: `macvlan ${command} with host-local ipam: ${what}`,
      plugin: 'trunkline-macvlan',
      command,
      conf: (_pod: string, dir: string) => macvlan(dir, {}, ipam),
      code: 7,
      msg,
    })),
  ),
  {
    name: 'macvlan ADD with host-local ranges only from runtimeConfig.ipRanges of the wrong shape',
    plugin: 'trunkline-macvlan',
    command: 'ADD',
    conf: (_pod, dir) => ({
      ...macvlan(dir, {}, { ranges: undefined }),
      runtimeConfig: { ipRanges: [[{ subnet: 'x' }]] },
    }),
    code: 7,
    msg: /runtimeConfig\.ipRanges\[0\]\[0\]\.subnet must be a CIDR/,
  },
  {
    name: 'meta ADD with a container ID too long for its cache file name',
    plugin: 'trunkline',
    command: 'ADD',
    conf: (_pod, dir) => meta(dir, { ...macvlan(dir), name: 'fzrd' }),
    containerId: 'x'.repeat(300),
    code: 4,
    msg: /containerID is 300 characters long/,
  },
  {
    name: 'meta ADD whose delegate has a malformed host-local ipam (its code kept)',
    plugin: 'trunkline',
    command: 'ADD',
    conf: (_pod, dir) => meta(dir, { ...macvlan(dir, {}, { ranges: [1] }), name: 'fzrd' }),
    code: 7,
    msg: /error adding network fzrd as eth0: ipam\.ranges\[0\]/,
  },
];

describe('every 999 the fuzzer found is now the spec code', () => {
  const s = agentScene('fzr');

  it('host-local ranges given only by the ipRanges capability are still accepted', async () => {
    const call = {
      containerId: 'fzrcap',
      netns: s.pod.path,
      ifname: 'eth0',
      path: CNI_PATH,
      extraEnv: { TRUNKLINE_AGENT_SOCK: s.agent.socket },
    };
    const conf = {
      ...macvlan(s.tmp.path, {}, { ranges: undefined }),
      runtimeConfig: { ipRanges: [[{ subnet: '10.69.1.0/24' }]] },
    };
    const add = await runCni(
      join(DIST_CNI, 'trunkline-macvlan'),
      { ...call, command: 'ADD' },
      conf,
      s.host.path,
    );
    assert.equal(add.code, 0, add.stdout);
    assert.match(JSON.stringify(add.json?.['ips']), /10\.69\.1\./);
    const del = await runCni(
      join(DIST_CNI, 'trunkline-macvlan'),
      { ...call, command: 'DEL' },
      conf,
      s.host.path,
    );
    assert.equal(del.code, 0, del.stdout);
    assert.deepEqual(links(s.pod.name), ['lo']);
  });

  // The fuzzer's DEL with a 300-byte CNI_NETNS got 999: the netlink socket's open failed with
  // ENAMETOOLONG, which was not read as "no such namespace". A path no namespace can have is one.
  for (const withAgent of [true, false]) {
    for (const netns of ['x'.repeat(300), `/${'x/'.repeat(2100)}`]) {
      it(`${withAgent ? 'agent' : 'no agent'}: a CNI_NETNS of ${netns.length} bytes: ADD → 3, DEL succeeds`, async () => {
        const call = {
          containerId: `fzrlong${withAgent ? 'a' : 'n'}${netns.length}`,
          netns,
          ifname: 'eth0',
          path: CNI_PATH,
          extraEnv: withAgent ? { TRUNKLINE_AGENT_SOCK: s.agent.socket } : { TRUNKLINE_NO_AGENT: '1' },
        };
        const plugin = join(DIST_CNI, 'trunkline-macvlan');
        const add = await runCni(plugin, { ...call, command: 'ADD' }, macvlan(s.tmp.path), s.host.path);
        assert.equal(add.code, 1, add.stdout);
        assert.equal(add.json?.['code'], 3, add.stdout);
        const del = await runCni(plugin, { ...call, command: 'DEL' }, macvlan(s.tmp.path), s.host.path);
        assert.equal(del.code, 0, del.stdout);
        assert.deepEqual(links(s.host.name).sort(), ['lo', 'uplink0']);
      });
    }
  }

  for (const withAgent of [true, false]) {
    for (const [i, c] of CASES.entries()) {
      it(`${withAgent ? 'agent' : 'no agent'}: ${c.name} → ${c.code}`, async () => {
        const id = c.containerId ?? `fzr${withAgent ? 'a' : 'n'}${i}`;
        const r = await runCni(
          join(DIST_CNI, c.plugin),
          {
            command: c.command,
            containerId: id,
            netns: s.pod.path,
            ifname: 'eth0',
            path: CNI_PATH,
            extraEnv: withAgent ? { TRUNKLINE_AGENT_SOCK: s.agent.socket } : { TRUNKLINE_NO_AGENT: '1' },
          },
          c.conf(s.pod.path, s.tmp.path),
          s.host.path,
        );
        assert.equal(r.code, 1, r.stdout);
        assert.equal(r.json?.['code'], c.code, r.stdout);
        assert.match(String(r.json?.['msg']), c.msg);
        assert.deepEqual(links(s.pod.name), ['lo']);
        assert.deepEqual(links(s.host.name).sort(), ['lo', 'uplink0']);
        // host-local keeps one file per allocation under dataDir/<network>; none may be left.
        const held = (() => {
          try {
            return readdirSync(join(s.tmp.path, 'hl', 'fzr')).filter((f) => /^\d/.test(f));
          } catch {
            return [];
          }
        })();
        assert.deepEqual(held, []);
      });
    }
  }
});
