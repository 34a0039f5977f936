// INSIDE the test VM only (test/hostnet/vm.test.ts boots it): macvlan ADDs that race to need the same
// on-demand bond0 + bond0.100 create them once, every pod gets its NIC on bond0.100, and DEL leaves
// the bond and the VLAN in place for the next pod. Once through plugin processes (no agent),
// once through the node agent on its default netlink backend.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startAgent } from '../../agent/helpers.js';
import { runCni } from '../../helpers/cni.js';
import { ip, ipj, links, Scene } from '../../helpers/netns.js';
import { DIST_CNI, REF_CNI } from '../../helpers/paths.js';

const inVm = process.env['TRUNKLINE_IN_VM'] === '1';
const PLUGIN = join(DIST_CNI, 'trunkline-macvlan');
const scene = new Scene('tvi');
let data: string;

/** A host namespace with two NICs (veths to a switch namespace), as a node before any pod. */
function node(tag: string): { name: string; path: string } {
  const host = scene.netns(tag);
  const sw = scene.netns(`${tag}sw`);
  for (const nic of ['ens224', 'ens256']) {
    ip(['-n', host.name, 'link', 'add', nic, 'type', 'veth', 'peer', 'name', `p-${nic}`, 'netns', sw.name]);
    ip(['-n', sw.name, 'link', 'set', `p-${nic}`, 'up']);
  }
  return host;
}

before(() => {
  if (!inVm) return;
  data = mkdtempSync(join(tmpdir(), 'tl-ifacer-'));
});
after(() => {
  if (!inVm) return;
  scene.cleanup();
  rmSync(data, { recursive: true, force: true });
});

type LinkJ = {
  ifname: string;
  master?: string;
  linkinfo?: { info_kind: string; info_data?: { id?: number; mode?: string } };
};

/** Four racing ADDs on `host` need bond0 + bond0.100; then DEL of all four. */
async function raceAndRelease(
  host: { name: string; path: string },
  tag: string,
  agentEnv: Record<string, string>,
) {
  const conf = {
    cniVersion: '1.0.0',
    name: 'vlan100',
    type: 'trunkline-macvlan',
    master: ['ens224', 'ens256'],
    bond: { name: 'bond0', mode: 1, options: 'miimon=100' },
    vlanID: 100,
    ipam: { type: 'host-local', dataDir: join(data, host.name), ranges: [[{ subnet: '10.100.0.0/24' }]] },
  };
  const pods = [0, 1, 2, 3].map((i) => scene.netns(`${tag}p${i}`));
  const env = { TRUNKLINE_LOCK_DIR: join(data, 'locks'), ...agentEnv };
  const call = (command: string, i: number) => ({
    command,
    containerId: `c${i}`,
    netns: pods[i]!.path,
    ifname: 'eth0',
    path: [DIST_CNI, REF_CNI],
    extraEnv: env,
  });
  const adds = await Promise.all(pods.map((_, i) => runCni(PLUGIN, call('ADD', i), conf, host.path)));
  for (const r of adds) assert.equal(r.code, 0, r.stdout);

  const hostLinks = ipj<LinkJ[]>(host.name, ['-d', 'link', 'show']);
  const bond = hostLinks.filter((l) => l.linkinfo?.info_kind === 'bond');
  const vlans = hostLinks.filter((l) => l.linkinfo?.info_kind === 'vlan');
  assert.deepEqual(
    bond.map((l) => l.ifname),
    ['bond0'],
  );
  assert.deepEqual(
    vlans.map((l) => [l.ifname, l.linkinfo?.info_data?.id]),
    [['bond0.100', 100]],
  );
  assert.deepEqual(
    hostLinks
      .filter((l) => l.master === 'bond0')
      .map((l) => l.ifname)
      .sort(),
    ['ens224', 'ens256'],
  );
  for (const p of pods) {
    const eth0 = ipj<(LinkJ & { link?: string })[]>(p.name, ['-d', 'link', 'show', 'eth0'])[0]!;
    assert.equal(eth0.linkinfo?.info_kind, 'macvlan');
  }

  const dels = await Promise.all(pods.map((_, i) => runCni(PLUGIN, call('DEL', i), conf, host.path)));
  for (const r of dels) assert.equal(r.code, 0, r.stdout);
  for (const p of pods) assert.deepEqual(links(p.name), ['lo']);
  assert.ok(
    links(host.name).includes('bond0.100') && links(host.name).includes('bond0'),
    'DEL never removes the parents',
  );
}

describe('on-demand bond + VLAN parent in a real kernel', {
  skip: inVm ? false : 'runs inside the VM (TRUNKLINE_IN_VM=1)',
}, () => {
  it('four racing ADDs create bond0 and bond0.100 once; DEL keeps them (plugin processes, no agent)', async () => {
    await raceAndRelease(node('h'), 'h', {});
  });

  it('the same through the node agent on its netlink backend', async () => {
    const host = node('a');
    const dir = mkdtempSync(join(tmpdir(), 'tl-ifacer-agent-'));
    const agent = await startAgent(host.path, dir);
    try {
      await raceAndRelease(host, 'a', { TRUNKLINE_AGENT_SOCK: agent.socket });
      const served = agent
        .logs()
        .map((l) => JSON.parse(l) as Record<string, unknown>)
        .filter((l) => l['msg'] === 'cni request')
        .map((l) => l['command']);
      assert.deepEqual(
        served.sort(),
        ['ADD', 'ADD', 'ADD', 'ADD', 'DEL', 'DEL', 'DEL', 'DEL'],
        'every call went through the agent',
      );
    } finally {
      assert.equal(await agent.stop(), 0);
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
