// A generated NAD config is one the real plugins take: the macvlan entry of a generated chain, run
// as a runtime runs it against a veth master in a namespace the test made, gives the pod its NIC.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { smcToNad } from '../../src/controller/smc/generate.js';
import { parseIfacer } from '../../src/plugins/macvlan/ifacer.js';
import { runCni } from '../helpers/cni.js';
import { ipj, links, Scene } from '../helpers/netns.js';
import { DIST_CNI } from '../helpers/paths.js';

const PLUGIN = join(DIST_CNI, 'trunkline-macvlan');
const scene = new Scene('tsmc');
let host: ReturnType<Scene['host']>;
before(() => {
  host = scene.host('h', 1500);
});
after(() => scene.cleanup());

const chain = (spec: Record<string, unknown>) => {
  const nad = smcToNad({ metadata: { name: 'smc-net', namespace: 'default' }, spec });
  return JSON.parse(nad.config) as { cniVersion: string; name: string; plugins: Record<string, unknown>[] };
};

describe('generated NAD config through the real plugin', () => {
  it('a macvlan SMC gives the pod a macvlan NIC on the master, with the SMC MTU', async () => {
    const c = chain({
      cniType: 'macvlan',
      enableCoordinator: false,
      disableIPAM: true,
      macvlan: { master: [host.master], mtu: 1400 },
    });
    // What a runtime does with each plugin of a list: the list's name and version, then the entry.
    const conf = { cniVersion: c.cniVersion, name: c.name, ...c.plugins[0] };
    const pod = scene.netns('p');
    const call = (command: string) => ({
      command,
      containerId: 'smc1',
      netns: pod.path,
      ifname: 'net1',
      path: [DIST_CNI],
    });
    const r = await runCni(PLUGIN, call('ADD'), conf, host.path);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const [nic] = ipj<{ mtu: number; linkinfo?: { info_kind?: string; info_data?: { mode?: string } } }[]>(
      pod.name,
      ['-d', 'link', 'show', 'net1'],
    );
    assert.equal(nic?.linkinfo?.info_kind, 'macvlan');
    assert.equal(nic?.linkinfo?.info_data?.mode, 'bridge');
    assert.equal(nic?.mtu, 1400);
    assert.equal((await runCni(PLUGIN, call('DEL'), conf, host.path)).code, 0);
    assert.deepEqual(links(pod.name), ['lo']);
  });

  it('the bond/VLAN parent of a generated config is the one the plugin will create', () => {
    const c = chain({
      cniType: 'macvlan',
      macvlan: {
        master: ['ens192', 'ens224'],
        vlanID: 300,
        bond: { name: 'bond0', mode: 4, options: 'miimon=100' },
      },
    });
    assert.deepEqual(parseIfacer(c.plugins[0] ?? {}), {
      ports: ['ens192', 'ens224'],
      bond: { name: 'bond0', mode: '802.3ad', options: { miimon: '100' } },
      vlanId: 300,
      parent: 'bond0.300',
    });
    assert.equal(
      parseIfacer(chain({ cniType: 'macvlan', macvlan: { master: ['ens192'], vlanID: 7 } }).plugins[0] ?? {})
        ?.parent,
      'ens192.7',
    );
  });
});
