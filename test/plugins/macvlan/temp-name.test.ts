// An ADD killed between creating the macvlan and renaming it leaves the link under its temporary
// name (issue 16, defect 4). The name is derived from the container id and ifname, so the DEL of that
// attachment removes it, and a retried ADD replaces it instead of failing.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { tempName } from '../../../src/plugins/macvlan/create.js';
import { runCni } from '../../helpers/cni.js';
import { ip, links, Scene } from '../../helpers/netns.js';
import { DIST_CNI } from '../../helpers/paths.js';

const PLUGIN = join(DIST_CNI, 'trunkline-macvlan');
const scene = new Scene('tlt');
let host: ReturnType<Scene['host']>;
let pod: { name: string; path: string };
before(() => {
  host = scene.host();
  pod = scene.netns('p');
});
after(() => scene.cleanup());

const conf = { cniVersion: '1.0.0', name: 'tmp-test', type: 'trunkline-macvlan', master: 'uplink0' };
const call = (command: string, id: string) => ({
  command,
  containerId: id,
  netns: pod.path,
  ifname: 'eth0',
  path: [DIST_CNI],
  extraEnv: { TRUNKLINE_NO_AGENT: '1' },
});

/** What a killed ADD leaves: the macvlan, under its temporary name, in the pod. */
function leftover(id: string): string {
  const name = tempName(id, 'eth0');
  ip(['-n', host.name, 'link', 'add', name, 'link', 'uplink0', 'type', 'macvlan', 'mode', 'bridge']);
  ip(['-n', host.name, 'link', 'set', name, 'netns', pod.name]);
  return name;
}

describe('macvlan temporary name', () => {
  it('is at most 15 characters and depends on container id and ifname only', () => {
    assert.ok(tempName('a'.repeat(200), 'eth0').length <= 15);
    assert.equal(tempName('c1', 'eth0'), tempName('c1', 'eth0'));
    assert.notEqual(tempName('c1', 'eth0'), tempName('c2', 'eth0'));
    assert.notEqual(tempName('c1', 'eth0'), tempName('c1', 'net1'));
  });

  it('DEL removes the link an interrupted ADD left under the temporary name', async () => {
    const name = leftover('tmp1');
    assert.deepEqual(links(pod.name).sort(), ['lo', name].sort());
    const r = await runCni(PLUGIN, call('DEL', 'tmp1'), conf, host.path);
    assert.equal(r.code, 0, r.stdout);
    assert.deepEqual(links(pod.name), ['lo']);
  });

  it('a retried ADD replaces the leftover; its DEL leaves nothing', async () => {
    leftover('tmp2');
    const add = await runCni(PLUGIN, call('ADD', 'tmp2'), conf, host.path);
    assert.equal(add.code, 0, add.stdout);
    assert.deepEqual(links(pod.name).sort(), ['eth0', 'lo']);
    const del = await runCni(PLUGIN, call('DEL', 'tmp2'), conf, host.path);
    assert.equal(del.code, 0, del.stdout);
    assert.deepEqual(links(pod.name), ['lo']);
  });
});
