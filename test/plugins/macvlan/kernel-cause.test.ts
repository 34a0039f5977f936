// A kernel failure through the plugin (macvlan on a loopback master: the kernel answers EINVAL) gives
// a CNI error whose details carry the kernel's words and errno, keeps nothing behind, and the error log
// line shows the whole chain down to the kernel error — on both backends.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runCni } from '../../helpers/cni.js';
import { links, Scene } from '../../helpers/netns.js';
import { DIST_CNI } from '../../helpers/paths.js';

const PLUGIN = join(DIST_CNI, 'trunkline-macvlan');
const scene = new Scene('healthkc');
let host: { name: string; path: string };
let pod: { name: string; path: string };

before(() => {
  host = scene.netns('h');
  pod = scene.netns('p');
});
after(() => scene.cleanup());

const conf = { cniVersion: '1.0.0', name: 'cause-test', type: 'trunkline-macvlan', master: 'lo' };
const backends: Array<[string, Record<string, string>, RegExp]> = [
  ['netlink', {}, /EINVAL/],
  // An addon that does not load leaves the iproute2 backend, whose stderr names the errno in words.
  [
    'iproute2',
    { TRUNKLINE_NETLINK_ADDON: '/nonexistent/healthk.node' },
    /RTNETLINK answers: Invalid argument/,
  ],
];

describe('a kernel failure becomes a CNI error that keeps its cause', () => {
  for (const [backend, extraEnv, words] of backends) {
    it(`${backend}: details carry the kernel's errno and words; the log line shows the chain`, async () => {
      const r = await runCni(
        PLUGIN,
        {
          command: 'ADD',
          containerId: `healthk-${backend}`,
          netns: pod.path,
          ifname: 'eth0',
          path: [DIST_CNI],
          extraEnv: { ...extraEnv, TRUNKLINE_LOG_LEVEL: 'warn' },
        },
        conf,
        host.path,
      );
      assert.equal(r.code, 1, r.stderr);
      const err = r.json as { code: number; msg: string; details: string };
      assert.equal(err.code, 999);
      assert.equal(err.msg, 'failed to create macvlan on lo');
      assert.match(err.details, words);
      assert.match(err.details, /errno: EINVAL/);
      assert.match(err.details, /command: .*link/);
      const line = r.stderr
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as { level: string; msg: string; error?: string })
        .find((l) => l.level === 'error');
      assert.ok(line?.error, `no error log line in: ${r.stderr}`);
      const chain = line.error.split('\n');
      assert.match(chain[0]!, /^CniError: failed to create macvlan on lo/);
      const kernel = chain.find((l) => l.startsWith('caused by: link '));
      assert.ok(kernel, `no kernel error in the chain: ${line.error}`);
      assert.match(kernel, /\[errno: EINVAL\]/);
      assert.match(kernel, /\[argv: /);
      assert.deepEqual(links(pod.name), ['lo']);
      assert.deepEqual(links(host.name), ['lo']);
    });
  }
});
