// IP-conflict and gateway detection (ARP probes from the pod), and podMACPrefix. A detection failure
// fails the ADD before the coordinator changes anything; the runtime's DEL of the chain then
// releases the address (host-local's reservation file is the observable).
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { addList, delList, type RuntimeConf } from '../../../src/cni/conflist.js';
import { CniError } from '../../../src/cni/errors.js';
import type { NetConfList } from '../../../src/cni/types.js';
import { ipj, links } from '../../helpers/netns.js';
import { REF_CNI } from '../../helpers/paths.js';
import { GATEWAY, type SceneNode, UnderlayScene } from '../../helpers/underlay-scene.js';

const scene = new UnderlayScene('tc');
let node: SceneNode;

function conflist(ipam: Record<string, unknown>, coordinator: Record<string, unknown>): NetConfList {
  return {
    cniVersion: '1.0.0',
    name: 'tc-detect',
    plugins: [
      { type: 'trunkline-macvlan', master: 'tcup0', mode: 'bridge', ipam },
      { type: 'trunkline-coordinator', mode: 'underlay', serviceCIDR: ['10.96.0.0/16'], ...coordinator },
    ] as unknown as NetConfList['plugins'],
  };
}
const staticIpam = (address: string, gateway = GATEWAY) => ({
  type: 'static',
  addresses: [{ address, gateway }],
  routes: [{ dst: '0.0.0.0/0' }],
});
const rt = (pod: { path: string }, containerId: string): RuntimeConf => ({
  containerId,
  netns: pod.path,
  ifname: 'eth0',
  path: [node.bin, REF_CNI],
});
const rulesTo = (ip: string) =>
  ipj<{ dst?: string }[]>(node.name, ['-4', 'rule', 'show']).filter((r) => r.dst === ip);

async function rejectsWith(p: Promise<unknown>, code: number, msg: RegExp): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof CniError, String(e));
    assert.equal(e.code, code, e.message);
    assert.match(e.message, msg);
    return true;
  });
}

describe('coordinator detection', () => {
  before(() => {
    scene.build(1);
    node = scene.nodes[0]!;
    scene.holder('hd', '10.10.0.30/24');
  });
  after(() => scene.cleanup());

  it('an address already used on the network fails ADD; DEL of the chain leaves nothing behind', async () => {
    const pod = scene.netns('pc');
    const dataDir = join(scene.work, 'hl-conflict');
    const ipam = {
      type: 'host-local',
      dataDir,
      ranges: [
        [{ subnet: '10.10.0.0/24', rangeStart: '10.10.0.30', rangeEnd: '10.10.0.30', gateway: GATEWAY }],
      ],
      routes: [{ dst: '0.0.0.0/0' }],
    };
    const list = conflist(ipam, { detectIPConflict: true });
    const r = rt(pod, 'tcconflict0001');
    await rejectsWith(addList(list, r), 102, /IP 10\.10\.0\.30 of pod interface eth0 is already in use/);
    // The coordinator changed nothing: no veth0, no host veth, no host rule.
    assert.deepEqual(links(pod.name).sort(), ['eth0', 'lo']);
    assert.ok(!links(node.name).some((l) => l.startsWith('veth')));
    assert.deepEqual(rulesTo('10.10.0.30'), []);
    // The runtime deletes the chain after a failed ADD: macvlan goes, IPAM releases the address.
    await delList(list, r);
    assert.deepEqual(links(pod.name), ['lo']);
    assert.deepEqual(
      readdirSync(join(dataDir, 'tc-detect')).filter((f) => /^\d/.test(f)),
      [],
    );
  });

  it('a free address passes conflict detection; the alias enableIPConflictDetection works too', async () => {
    const pod = scene.netns('pf');
    const list = conflist(staticIpam('10.10.0.31/24'), { enableIPConflictDetection: true });
    const r = rt(pod, 'tcfree00000001');
    const started = Date.now();
    await addList(list, r);
    // 3 probes of 100 ms each, plus process start-up.
    assert.ok(Date.now() - started < 5000);
    assert.ok(links(pod.name).includes('veth0'));
    await delList(list, r);
  });

  it('a silent gateway fails ADD with code 51; a live one passes', async () => {
    const pod = scene.netns('pg');
    const bad = conflist(staticIpam('10.10.0.32/24', '10.10.0.254'), { detectGateway: true });
    const r = rt(pod, 'tcgateway00001');
    await rejectsWith(addList(bad, r), 51, /gateway 10\.10\.0\.254 of pod interface eth0 is unreachable/);
    assert.ok(!links(pod.name).includes('veth0'));
    await delList(bad, r);
    const good = conflist(staticIpam('10.10.0.32/24'), { enableGatewayDetection: true });
    await addList(good, r);
    await delList(good, r);
    assert.deepEqual(links(pod.name), ['lo']);
  });

  it('podMACPrefix sets prefix + IPv4 bytes and reports the MAC in the result', async () => {
    const pod = scene.netns('pp');
    const list = conflist(staticIpam('10.10.0.41/24'), { podMACPrefix: '0a:1b' });
    const r = rt(pod, 'tcmacprefix001');
    const res = await addList(list, r);
    const [eth0] = ipj<{ address: string }[]>(pod.name, ['link', 'show', 'eth0']);
    assert.equal(eth0?.address, '0a:1b:0a:0a:00:29');
    assert.equal(res.interfaces?.[0]?.mac, '0a:1b:0a:0a:00:29');
    await delList(list, r, res);
  });
});
