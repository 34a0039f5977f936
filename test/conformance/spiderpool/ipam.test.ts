// Spiderpool conformance through the real plugin processes: every case is an ADD of the NAD's config
// (trunkline-macvlan delegating to trunkline-ipam) with exactly the environment Multus gives its
// delegates, run through the C shim into the node agent, and the `bundle` subset again through the shim
// with no agent (the bundled Node plugin). Observed: the result, the pod's addresses and routes, the
// pool's holders; then DEL, after which nothing is held and the pod has only lo. Errors must carry
// their code and leave nothing behind.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { tryCidr } from '../../../src/net/cidr.js';
import { parseIp } from '../../../src/net/ip.js';
import { SqliteStore } from '../../../src/store/sqlite.js';
import { CNI_PATH, SHIM, startAgent, type TestAgent } from '../../agent/helpers.js';
import { type PluginRun, runCni } from '../../helpers/cni.js';
import { ip, ipj, links, Scene } from '../../helpers/netns.js';
import { DIST_CNI } from '../../helpers/paths.js';
import { CASES, type Case } from './cases.js';
import { multusArgs, SPIDERPOOL } from './upstream.js';
import { POOLS, podManifest, writeWorld } from './world.js';

const scene = new Scene('cs');
let dir: string;
let host: ReturnType<Scene['host']>;
let pod: { name: string; path: string };
let agent: TestAgent;

const podName = (i: number) => `case${i}`;
const IPAM_SHIM = join(DIST_CNI, 'trunkline-ipam');

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tl-conf-sp-'));
  mkdirSync(join(dir, 'etc'));
  writeWorld(
    join(dir, 'etc'),
    CASES.map((c, i) => podManifest(c.ns ?? 'team', podName(i), c.pod ?? {})).concat(
      ['steps'].map((n) => podManifest('team', n, { 'ipam.spidernet.io/ippool': '{"ipv4":["v4-next"]}' })),
      ['fallback'].map((n) =>
        podManifest('team', n, { 'ipam.spidernet.io/ippool': '{"ipv4":["v4-tiny","v4-b"]}' }),
      ),
    ),
  );
  host = scene.host();
  // match_master_subnet looks at the master's addresses in the host namespace.
  ip(['-n', host.name, 'addr', 'add', '10.35.0.2/24', 'dev', host.master]);
  pod = scene.netns('p');
  agent = await startAgent(host.path, dir);
});
after(async () => {
  await agent?.stop();
  scene.cleanup();
  rmSync(dir, { recursive: true, force: true });
});

function netConf(c: Pick<Case, 'network' | 'ipam'>): object {
  return {
    cniVersion: '1.0.0',
    name: c.network ?? 'macvlan-vlan33',
    type: 'trunkline-macvlan',
    master: host.master,
    mode: 'bridge',
    ipam: {
      type: 'trunkline-ipam',
      manifestDir: join(dir, 'etc'),
      stateDir: join(dir, 'state'),
      store: { type: 'sqlite', path: join(dir, 'ipam.db') },
      nodeName: 'node1',
      ...c.ipam,
    },
  };
}

/** trunkline-ipam alone through its shim and the agent: what a main plugin's delegation does. */
function call(command: string, id: string, ifname: string, name: string, conf: object) {
  return runCni(
    IPAM_SHIM,
    {
      command,
      containerId: id,
      netns: pod.path,
      ifname,
      args: multusArgs('team', name, id, `uid-${name}`),
      path: CNI_PATH,
      extraEnv: { TRUNKLINE_AGENT_SOCK: agent.socket },
    },
    conf,
    host.path,
  );
}

async function holders(id: string): Promise<{ pool: string; ip: string }[]> {
  const store = new SqliteStore({ path: join(dir, 'ipam.db') });
  await store.open();
  try {
    return (await store.list())
      .filter((a) => a.containerId === id)
      .sort((a, b) => a.family - b.family)
      .map((a) => ({ pool: a.pool, ip: a.ip }));
  } finally {
    await store.close();
  }
}

type RouteJ = { dst: string; gateway?: string };
function podRoutes(ifname: string): string[] {
  const out: string[] = [];
  for (const fam of ['-4', '-6']) {
    for (const r of ipj<RouteJ[]>(pod.name, [fam, 'route', 'show', 'dev', ifname])) {
      if (r.gateway) out.push(`${r.dst} via ${r.gateway}`);
    }
  }
  return out;
}
const resultRoutes = (run: PluginRun): string[] =>
  ((run.json?.['routes'] ?? []) as { dst: string; gw?: string }[])
    .filter((r) => r.gw)
    .map((r) => `${r.dst === '0.0.0.0/0' || r.dst === '::/0' ? 'default' : r.dst} via ${r.gw}`);

const poolSubnet = new Map(
  POOLS.map((p) => [(p['metadata'] as { name: string }).name, (p['spec'] as { subnet: string }).subnet]),
);

async function runCase(mode: 'agent' | 'bundle', c: Case, i: number): Promise<void> {
  const id = `${mode}-${i}`;
  const ifname = c.ifname ?? 'eth0';
  const name = podName(i);
  const conf = netConf(c);
  const ns = c.ns ?? 'team';
  const run = (command: string) =>
    runCni(
      SHIM,
      {
        command,
        containerId: id,
        netns: pod.path,
        ifname,
        args: multusArgs(ns, name, id, `uid-${name}`),
        path: CNI_PATH,
        extraEnv: { TRUNKLINE_AGENT_SOCK: mode === 'agent' ? agent.socket : join(dir, 'no-agent.sock') },
      },
      conf,
      host.path,
    );
  const add = await run('ADD');
  try {
    const want = c.want;
    if ('code' in want) {
      assert.notEqual(add.code, 0, `expected failure, got ${add.stdout}`);
      assert.equal(add.json?.['code'], want.code, add.stdout + add.stderr);
      assert.match(`${add.json?.['msg']} ${add.json?.['details'] ?? ''}`, want.msg);
      assert.deepEqual(await holders(id), [], 'a failed ADD holds no address');
      assert.deepEqual(links(pod.name), ['lo'], 'a failed ADD leaves no link');
      return;
    }
    assert.equal(add.code, 0, add.stdout + add.stderr);
    const held = await holders(id);
    assert.deepEqual(
      held.map((h) => h.pool),
      want.pools,
    );
    const ips = (add.json?.['ips'] ?? []) as { address: string }[];
    const expectIps = held.map((h) => `${h.ip}/${poolSubnet.get(h.pool)!.split('/')[1]}`);
    assert.deepEqual(
      ips.map((x) => x.address),
      expectIps,
      'the result lists the held addresses with the pool prefix',
    );
    for (const h of held) {
      const s = tryCidr(poolSubnet.get(h.pool)!)!;
      const v = parseIp(h.ip)!.value;
      assert.ok(
        v > s.network && (s.family === 6 || v < s.broadcast),
        `${h.ip} is neither network nor broadcast`,
      );
    }
    const have = ipj<{ addr_info: { local: string; prefixlen: number; scope: string }[] }[]>(pod.name, [
      'addr',
      'show',
      'dev',
      ifname,
    ])[0]!
      .addr_info.filter((a) => a.scope === 'global')
      .map((a) => `${a.local}/${a.prefixlen}`);
    assert.deepEqual(have.sort(), [...expectIps].sort(), 'the pod interface carries exactly those addresses');
    const inPod = podRoutes(ifname);
    const inResult = resultRoutes(add);
    for (const r of want.routes ?? []) {
      assert.ok(inResult.includes(r), `result routes ${inResult.join(', ')} lack ${r}`);
      assert.ok(inPod.includes(r), `pod routes ${inPod.join(', ')} lack ${r}`);
    }
    for (const r of want.noRoutes ?? []) {
      assert.ok(!inResult.includes(r), `result has ${r}`);
      assert.ok(!inPod.includes(r), `pod has ${r}`);
    }
  } finally {
    const del = await run('DEL');
    if (c.badConf) assert.equal(del.json?.['code'], 7, del.stdout);
    else assert.equal(del.code, 0, del.stdout + del.stderr);
    assert.deepEqual(await holders(id), [], 'DEL releases everything');
    assert.deepEqual(links(pod.name), ['lo'], 'DEL removes the interface');
  }
}

describe(`Spiderpool ${SPIDERPOOL.tag} conformance through the agent (shim → agent)`, () => {
  CASES.forEach((c, i) => {
    it(`${c.what} (${c.from})`, () => runCase('agent', c, i));
  });

  it('a repeated ADD returns the held address (pkg/ipam/allocate.go retrieveExistingIPAllocation)', async () => {
    const conf = netConf({});
    const a = await call('ADD', 'rep', 'eth0', 'steps', conf);
    const b = await call('ADD', 'rep', 'eth0', 'steps', conf);
    try {
      assert.equal(a.code, 0, a.stdout);
      assert.equal(b.code, 0, b.stdout);
      assert.deepEqual(b.json?.['ips'], a.json?.['ips']);
      assert.equal((await holders('rep')).length, 1);
    } finally {
      await call('DEL', 'rep', 'eth0', 'steps', conf);
    }
  });

  it('an exhausted pool falls over to the next listed one, then fails with 100 leaving nothing (pkg/ipam/allocate.go, pkg/ippoolmanager/ippool_manager.go)', async () => {
    const conf = netConf({});
    const ids = ['fb-1', 'fb-2'];
    try {
      const first = await call('ADD', ids[0]!, 'eth0', 'fallback', conf);
      assert.equal(first.code, 0, first.stdout);
      assert.deepEqual(
        (await holders(ids[0]!)).map((h) => h.pool),
        ['v4-tiny'],
      );
      const second = await call('ADD', ids[1]!, 'eth0', 'fallback', conf);
      assert.equal(second.code, 0, second.stdout);
      assert.deepEqual(
        (await holders(ids[1]!)).map((h) => h.pool),
        ['v4-b'],
      );
      const tiny = netConf({ ipam: { default_ipv4_ippool: ['v4-tiny'] } });
      const third = await call('ADD', 'fb-3', 'eth1', 'nobody', tiny);
      assert.equal(third.json?.['code'], 100, third.stdout);
      assert.deepEqual(await holders('fb-3'), []);
    } finally {
      for (const id of ids) await call('DEL', id, 'eth0', 'fallback', conf);
    }
    assert.deepEqual(links(pod.name), ['lo']);
  });

  it(`next-fit: a released address is not handed out again at once (${'ours (README: Differences from Spiderpool)'})`, async () => {
    const conf = netConf({});
    const a = await call('ADD', 'nf-1', 'eth0', 'steps', conf);
    assert.equal(a.code, 0, a.stdout);
    const first = (await holders('nf-1'))[0]!.ip;
    assert.equal((await call('DEL', 'nf-1', 'eth0', 'steps', conf)).code, 0);
    const b = await call('ADD', 'nf-2', 'eth0', 'steps', conf);
    try {
      assert.equal(b.code, 0, b.stdout);
      const second = (await holders('nf-2'))[0]!.ip;
      assert.notEqual(second, first, 'Spiderpool would take the lowest free address, the one just released');
    } finally {
      await call('DEL', 'nf-2', 'eth0', 'steps', conf);
    }
  });
});

describe(`Spiderpool ${SPIDERPOOL.tag} conformance without an agent (shim → bundled plugin)`, () => {
  CASES.forEach((c, i) => {
    if (c.bundle) it(`${c.what} (${c.from})`, () => runCase('bundle', c, i));
  });
});
