// The meta plugin's command logic, in-process: delegates are a recording fake plugin registered
// in-process, the cluster is a FakeSource, the kernel a stub. (Namespaced end-to-end runs with the
// real macvlan plugin are in meta-e2e.test.ts.)
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { CniError } from '../../src/cni/errors.js';
import type { Plugin } from '../../src/cni/plugin.js';
import { invoke } from '../../src/cni/skel.js';
import type { NetConf, Result } from '../../src/cni/types.js';
import type { Kernel } from '../../src/kernel/types.js';
import { metaPlugin } from '../../src/plugins/meta/index.js';
import { FakeSource } from './fake-source.js';

interface Call {
  cmd: string;
  ifname: string;
  containerId: string;
  name: string;
  args: string;
  conf: NetConf;
  cacheSeen?: number;
}

let dir: string;
let calls: Call[];
let src: FakeSource;
const FAKE = 'txfake';

const fake: Plugin = {
  name: FAKE,
  loadConf: (raw) => raw,
  add: async (inv) => {
    const cacheFile = join(dir, 'cache', inv.env.containerId);
    const cacheSeen = existsSync(cacheFile)
      ? (JSON.parse(readFileSync(cacheFile, 'utf8')) as { delegates: unknown[] }).delegates.length
      : -1;
    calls.push({ ...rec('ADD', inv.env, inv.conf), cacheSeen });
    if (inv.conf['fail']) throw new CniError(11, `${inv.conf.name} refused`);
    const octet = String(inv.conf['octet']);
    return {
      cniVersion: inv.conf.cniVersion,
      interfaces: [{ name: inv.env.ifname, mac: `c2:00:00:00:00:${octet}`, sandbox: inv.env.netns }],
      ips: [{ address: `10.0.${octet}.5/24`, gateway: `10.0.${octet}.1`, interface: 0 }],
      routes: [{ dst: '0.0.0.0/0', gw: `10.0.${octet}.1` }],
    };
  },
  del: async (inv) => {
    calls.push(rec('DEL', inv.env, inv.conf));
  },
  check: async (inv) => {
    calls.push(rec('CHECK', inv.env, inv.conf));
    if (inv.conf['checkFail']) throw new CniError(11, 'link gone');
  },
  status: async (inv) => {
    calls.push(rec('STATUS', inv.env, inv.conf));
  },
  gc: async (inv) => {
    calls.push(rec('GC', inv.env, inv.conf));
  },
};

function rec(
  cmd: string,
  env: { ifname: string; containerId: string; args: { raw: string } },
  conf: NetConf,
): Call {
  return { cmd, ifname: env.ifname, containerId: env.containerId, name: conf.name, args: env.args.raw, conf };
}

let taken = new Set<string>();
const kernel = {
  // The pod namespace is fake: it "exists".
  checkNetns: async () => {},
  findLink: async (_ns: string, name: string) => (taken.has(name) ? { name } : undefined),
  listRoutes: async () => [],
  delRoute: async () => {},
  addRoute: async () => {},
} as unknown as Kernel;

const net = (name: string, octet: string, extra: Record<string, unknown> = {}) => ({
  cniVersion: '1.1.0',
  name,
  type: FAKE,
  octet,
  capabilities: { mac: true },
  ...extra,
});

function metaConf(extra: Record<string, unknown> = {}) {
  return {
    cniVersion: '1.0.0',
    name: 'trunkline',
    type: 'trunkline',
    clusterNetwork: 'cluster',
    cniDir: join(dir, 'cache'),
    binDir: join(dir, 'bin'),
    confDir: join(dir, 'confd'),
    ...extra,
  };
}

async function run(command: string, containerId: string, pod: string | undefined, conf: object = metaConf()) {
  const plugin = metaPlugin({ kernel: () => kernel, source: () => src });
  const env = {
    CNI_COMMAND: command,
    CNI_CONTAINERID: containerId,
    CNI_NETNS: '/var/run/netns/txfake',
    CNI_IFNAME: 'eth0',
    CNI_PATH: join(dir, 'bin'),
    CNI_ARGS: pod !== undefined ? `IgnoreUnknown=1;K8S_POD_NAMESPACE=team-a;K8S_POD_NAME=${pod}` : '',
  };
  const out = await invoke(plugin, env, Buffer.from(JSON.stringify(conf)), new Map([[FAKE, fake]]));
  return {
    code: out.exitCode,
    json: out.stdout.trim() ? (JSON.parse(out.stdout) as Record<string, unknown>) : undefined,
  };
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'txmeta-'));
  calls = [];
  taken = new Set();
  src = new FakeSource();
  src.addNad('kube-system', 'cluster', net('cluster', '1'));
  src.addNad('team-a', 'net-a', net('net-a', '2'));
  src.addNad('team-a', 'net-b', net('net-b', '3'));
  src.addNad('team-a', 'broken', net('broken', '9', { fail: true }));
  src.addPod('team-a', 'web', { 'k8s.v1.cni.cncf.io/networks': 'net-a,net-b@data' });
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const seq = (cmd?: string) =>
  calls.filter((c) => cmd === undefined || c.cmd === cmd).map((c) => `${c.cmd} ${c.name} ${c.ifname}`);

describe('meta plugin (in-process)', () => {
  test('ADD: the cache lists every delegate before the first runs; result is delegate 0 in the caller version', async () => {
    const r = await run('ADD', 'c1', 'web');
    assert.equal(r.code, 0, JSON.stringify(r.json));
    assert.deepEqual(seq(), ['ADD cluster eth0', 'ADD net-a net1', 'ADD net-b data']);
    assert.deepEqual(
      calls.map((c) => c.cacheSeen),
      [3, 3, 3],
    );
    assert.equal(r.json?.cniVersion, '1.0.0');
    assert.deepEqual(r.json?.ips, [{ address: '10.0.1.5/24', gateway: '10.0.1.1', interface: 0 }]);
    assert.match(calls[1]!.args, /^IgnoreUnknown=true;K8S_POD_NAMESPACE=team-a;K8S_POD_NAME=web$/);
    const status = JSON.parse(src.written[0]!.annotations['k8s.v1.cni.cncf.io/network-status']!) as {
      name: string;
      interface: string;
      ips: string[];
      default: boolean;
    }[];
    assert.deepEqual(
      status.map((s) => [s.name, s.interface, s.ips, s.default]),
      [
        ['kube-system/cluster', 'eth0', ['10.0.1.5'], true],
        ['team-a/net-a', 'net1', ['10.0.2.5'], false],
        ['team-a/net-b', 'data', ['10.0.3.5'], false],
      ],
    );
  });

  test('ADD failure: everything added so far (and the failed one) is DELeted in reverse, cache removed', async () => {
    src.addPod('team-a', 'bad', { 'k8s.v1.cni.cncf.io/networks': 'net-a,broken,net-b' });
    const r = await run('ADD', 'c2', 'bad');
    assert.equal(r.code, 1);
    assert.equal(r.json?.code, 11, 'the delegate error code is kept');
    assert.match(
      String(r.json?.msg),
      /\[team-a\/bad\] error adding network team-a\/broken as net2: broken refused/,
    );
    assert.deepEqual(seq(), [
      'ADD cluster eth0',
      'ADD net-a net1',
      'ADD broken net2',
      'DEL broken net2',
      'DEL net-a net1',
      'DEL cluster eth0',
    ]);
    assert.equal(existsSync(join(dir, 'cache', 'c2')), false);
    assert.equal(src.written.length, 0, 'no network-status for a failed ADD');
  });

  test('an interface name already taken in the pod fails ADD without DELeting the stranger', async () => {
    taken.add('net1');
    const r = await run('ADD', 'c7', 'web');
    assert.equal(r.json?.code, 7);
    assert.match(
      String(r.json?.msg),
      /cannot attach network team-a\/net-a: interface name "net1" already exists/,
    );
    assert.deepEqual(seq(), ['ADD cluster eth0', 'DEL cluster eth0']);
  });

  test('DEL from the cache: every delegate in reverse with its prevResult, even with the pod gone', async () => {
    await run('ADD', 'c3', 'web');
    src.pods.clear();
    src.nads.clear();
    calls = [];
    const r = await run('DEL', 'c3', 'web');
    assert.equal(r.code, 0, JSON.stringify(r.json));
    assert.deepEqual(seq(), ['DEL net-b data', 'DEL net-a net1', 'DEL cluster eth0']);
    assert.deepEqual((calls[0]!.conf.prevResult as Result).ips?.[0]?.address, '10.0.3.5/24');
    assert.equal(existsSync(join(dir, 'cache', 'c3')), false);
  });

  test('DEL without a cache is rebuilt from the pod annotations', async () => {
    const r = await run('DEL', 'never-added', 'web');
    assert.equal(r.code, 0);
    assert.deepEqual(seq(), ['DEL net-b data', 'DEL net-a net1', 'DEL cluster eth0']);
  });

  test('DEL with neither cache nor pod: cluster network DEL, then GC keeping live containers', async () => {
    await run('ADD', 'alive', 'web');
    calls = [];
    const r = await run('DEL', 'lost', 'gone-pod');
    assert.equal(r.code, 0);
    assert.deepEqual(seq('DEL'), ['DEL cluster eth0']);
    const gcs = calls.filter((c) => c.cmd === 'GC');
    assert.deepEqual(gcs.map((c) => c.name).sort(), ['cluster', 'net-a', 'net-b']);
    assert.deepEqual(gcs[0]!.conf['cni.dev/valid-attachments'], [
      { containerID: 'alive', ifname: 'eth0' },
      { containerID: 'alive', ifname: 'net1' },
      { containerID: 'alive', ifname: 'data' },
    ]);
  });

  test('CHECK covers every delegate, annotation networks included, and names the failing one', async () => {
    await run('ADD', 'c4', 'web');
    calls = [];
    assert.equal((await run('CHECK', 'c4', 'web')).code, 0);
    assert.deepEqual(seq(), ['CHECK cluster eth0', 'CHECK net-a net1', 'CHECK net-b data']);
    assert.equal(
      (calls[2]!.conf.prevResult as { ips: { address: string }[] }).ips[0]!.address,
      '10.0.3.5/24',
    );
    const cacheFile = join(dir, 'cache', 'c4');
    const cache = JSON.parse(readFileSync(cacheFile, 'utf8'));
    cache.delegates[1].config.checkFail = true;
    writeFileSync(cacheFile, JSON.stringify(cache));
    const r = await run('CHECK', 'c4', 'web');
    assert.equal(r.code, 1);
    assert.match(String(r.json?.msg), /CHECK of network team-a\/net-a \(net1\) failed: link gone/);
    assert.equal((await run('CHECK', 'nope', 'web')).json?.code, 3);
  });

  test('GC: stale containers lose their delegates; the rest are forwarded as valid attachments', async () => {
    await run('ADD', 'keep', 'web');
    await run('ADD', 'stale', 'web');
    calls = [];
    const conf = {
      ...metaConf({ cniVersion: '1.1.0' }),
      'cni.dev/valid-attachments': [{ containerID: 'keep', ifname: 'eth0' }],
    };
    const r = await run('GC', '', undefined, conf);
    assert.equal(r.code, 0, JSON.stringify(r.json));
    assert.deepEqual(
      calls.filter((c) => c.cmd === 'DEL').map((c) => `${c.containerId} ${c.ifname}`),
      ['stale data', 'stale net1', 'stale eth0'],
    );
    assert.equal(existsSync(join(dir, 'cache', 'stale')), false);
    assert.equal(existsSync(join(dir, 'cache', 'keep')), true);
    const gc = calls.find((c) => c.cmd === 'GC' && c.name === 'net-a');
    assert.deepEqual(gc?.conf['cni.dev/valid-attachments'], [
      { containerID: 'keep', ifname: 'eth0' },
      { containerID: 'keep', ifname: 'net1' },
      { containerID: 'keep', ifname: 'data' },
    ]);
  });

  test('STATUS is forwarded to the cluster network', async () => {
    const r = await run('STATUS', '', undefined, metaConf({ cniVersion: '1.1.0' }));
    assert.equal(r.code, 0, JSON.stringify(r.json));
    assert.deepEqual(seq(), ['STATUS cluster ']);
  });

  test('config and pod problems fail before any delegate runs', async () => {
    src.addPod('team-a', 'iso', { 'k8s.v1.cni.cncf.io/networks': 'kube-system/cluster' });
    const iso = await run('ADD', 'c5', 'iso', metaConf({ namespaceIsolation: true }));
    assert.equal(iso.json?.code, 7);
    assert.match(String(iso.json?.msg), /namespace isolation/);
    const missing = await run('ADD', 'c6', 'nobody');
    assert.equal(missing.json?.code, 7);
    assert.match(String(missing.json?.msg), /pod team-a\/nobody not found/);
    assert.deepEqual(calls, []);
    assert.equal(existsSync(join(dir, 'cache', 'c5')), false);
  });
});
