// podman 4.3 (CNI backend, runc) as a user without Kubernetes runs it: the README's "podman" recipe,
// files and commands exactly as written, through the full chain (meta plugin → NAD → trunkline-macvlan
// → trunkline-ipam → trunkline-coordinator). The commands run in a private root (helpers/private-root.ts)
// where the default paths the README names are the test's own; podman gets its own storage too.
// Network: a node namespace whose veths vlan100 and vlan200 are cabled to a switch namespace holding
// the gateways.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { SqliteStore } from '../../src/store/sqlite.js';
import { ipj, Scene } from '../helpers/netns.js';
import { type PrivateRoot, privateRoot } from '../helpers/private-root.js';
import { readmeRecipe } from '../helpers/readme.js';
import { nodeScene } from './cri-scene.js';

const scene = new Scene('tlp');
let node: { name: string; path: string };
let dir: string;
let root: PrivateRoot;

/** Addresses held in the IPAM database at the README's default path, "ip container". */
async function holders(): Promise<string[]> {
  const path = root.hostPath('var/lib/trunkline/ipam.db');
  if (!existsSync(path)) return [];
  const store = new SqliteStore({ path });
  await store.open();
  try {
    return (await store.list()).map((a) => `${a.ip} ${a.ifname}`).sort();
  } finally {
    await store.close();
  }
}

const macvlans = () =>
  ipj<{ ifname: string }[]>(node.name, ['link', 'show'])
    .map((l) => l.ifname)
    .sort();

before(async () => {
  for (const tool of ['podman', 'runc', 'busybox']) {
    assert.equal(spawnSync('sh', ['-c', `command -v ${tool}`]).status, 0, `${tool} is not installed`);
  }
  node = nodeScene(scene).node;
  dir = mkdtempSync(join(tmpdir(), 'tl-podman-'));
  try {
    root = await privateRoot(node.path, dir);
    // The environment, not the recipe: podman's own storage, so the host's images and containers
    // are neither seen nor touched.
    root.write(
      '/etc/containers/storage.conf',
      `[storage]\ndriver = "overlay"\ngraphroot = "${dir}/storage"\nrunroot = "/run/containers/storage"\n`,
    );
  } catch (e) {
    scene.cleanup();
    throw e;
  }
});

after(() => {
  if (root !== undefined) {
    root.sh('podman rm -a -f -t 0');
    root.close();
  }
  scene.cleanup();
  rmSync(dir, { recursive: true, force: true });
});

/**
 * `ip -4 -o addr` of a container on both VLANs: each NIC's VLAN (100 or 200), one NIC per VLAN. Which
 * network becomes eth0 is podman's choice (it walks a Go map when it names the interfaces, too).
 */
function onePerNetwork(addrs: string): Record<string, string> {
  const nics = Object.fromEntries(
    [...addrs.matchAll(/(eth\d)\s+inet 10\.(100|200)\.0\.1[0-4]\d\/24/g)].map((m) => [m[1]!, m[2]!]),
  );
  assert.deepEqual(Object.values(nics).sort(), ['100', '200'], addrs);
  return nics;
}

describe('podman: the README recipe through meta → macvlan → ipam → coordinator', () => {
  const recipe = readmeRecipe('#### podman');
  const results = new Map<string, { code: number; out: string }>();
  const find = (prefix: string) => {
    const hit = [...results.entries()].find(([c]) => c.startsWith(prefix));
    assert.ok(hit, `the README runs "${prefix}…"`);
    return hit[1];
  };
  let beforeReload: string[] = [];
  let beforeRm: string[] = [];

  it('runs every file and command of the README section as written', async () => {
    assert.deepEqual(
      recipe.files.map((f) => f.path),
      [
        '/etc/containers/containers.conf',
        '/etc/trunkline/vlans.yaml',
        '/etc/cni/net.d/vlan100.conflist',
        '/etc/cni/net.d/vlan200.conflist',
      ],
    );
    for (const f of recipe.files) root.write(f.path, f.body);
    for (const cmd of recipe.commands) {
      if (cmd.startsWith('podman network reload')) beforeReload = await holders();
      if (cmd.startsWith('podman rm')) beforeRm = await holders();
      const r = root.sh(cmd);
      results.set(cmd, r);
      assert.equal(r.code, 0, `${cmd}\n${r.out}`);
    }
  });

  it('--ip gives exactly the requested address, and the VLAN carries traffic between containers', () => {
    assert.match(find('podman exec web-1 ping').out, /1 packets received/);
    assert.ok(beforeRm.includes('10.100.0.120 eth0'), beforeRm.join('\n'));
  });

  it('a Pod manifest named like the container gives it both VLANs; --network a,b gives one NIC per network', () => {
    const two = find('podman exec two-vlan').out;
    assert.match(two, /eth0\s+inet 10\.100\.0\.1[0-4]\d\/24/);
    assert.match(two, /net1\s+inet 10\.200\.0\.1[0-4]\d\/24/);
    assert.deepEqual(Object.keys(onePerNetwork(find('podman exec multi').out)).sort(), ['eth0', 'eth1']);
    assert.equal(beforeRm.length, 6, `web-1, web-2, two-vlan ×2, multi ×2:\n${beforeRm.join('\n')}`);
    assert.equal(new Set(beforeRm.map((h) => h.split(' ')[0])).size, 6, 'no address handed out twice');
  });

  it('--network a,b works whichever network podman attaches first (its order is a Go map’s)', async (t) => {
    // podman walks its networks map, from a random slot: the second network comes first about one
    // time in eight. Repeat until both orders were seen (the NIC created first has the lower ifindex);
    // the coordinator test covers the reversed order deterministically.
    const img = 'localhost/busybox';
    const orders = new Set<string>();
    for (let i = 0; i < 16 && orders.size < 2; i++) {
      const name = `order-${i}`;
      const r = root.sh(`podman run -d --name ${name} --network vlan100,vlan200 ${img} sleep 600`);
      assert.equal(r.code, 0, r.out);
      try {
        const nics = onePerNetwork(root.sh(`podman exec ${name} ip -4 -o addr show`).out);
        const routes = root.sh(`podman exec ${name} ip -4 route show`).out;
        assert.match(
          routes,
          new RegExp(`^default via 10\\.${nics.eth0}\\.0\\.1 dev eth0`, 'm'),
          'eth0 keeps the default route',
        );
        const rules = root.sh(`podman exec ${name} ip -4 rule show`).out;
        assert.match(
          rules,
          new RegExp(`from 10\\.${nics.eth1}\\.0\\.1[0-4]\\d lookup 100`),
          'eth1 has its own table',
        );
        const links = root.sh(`podman exec ${name} ip -o link show`).out;
        assert.match(links, /veth0@/);
        const index = (nic: string) => Number(new RegExp(`^(\\d+): ${nic}@`, 'm').exec(links)?.[1]);
        orders.add(index('eth0') < index('eth1') ? 'eth0 first' : 'eth1 first');
      } finally {
        const rm = root.sh(`podman rm -f -t 0 ${name}`);
        assert.equal(rm.code, 0, rm.out);
        assert.doesNotMatch(rm.out, /error/i, `podman rm ${name} (${[...orders].at(-1)})`);
      }
      assert.deepEqual(await holders(), [], `${name}: every address released`);
    }
    t.diagnostic(`attach orders seen: ${[...orders].join(', ')}`);
  });

  it('podman network reload keeps the addresses; podman rm releases them and leaves no link', async () => {
    assert.deepEqual(beforeRm, beforeReload, 'reload re-attached web-1 without a second address');
    assert.deepEqual(await holders(), []);
    assert.deepEqual(macvlans(), ['lo', 'vlan100', 'vlan200']);
  });

  it('--ip outside the pool fails with code 7, a held one with code 102, and nothing is left', async () => {
    const img = 'localhost/busybox';
    const keep = root.sh(`podman run -d --name holder --network vlan100 --ip 10.100.0.121 ${img} sleep 600`);
    assert.equal(keep.code, 0, keep.out);
    try {
      const taken = root.sh(`podman run --rm --network vlan100 --ip 10.100.0.121 ${img} true`);
      assert.notEqual(taken.code, 0);
      assert.match(taken.out, /10\.100\.0\.121 .*is already held in pool "vlan100-v4"/);
      const outside = root.sh(`podman run --rm --network vlan100 --ip 10.100.0.7 ${img} true`);
      assert.notEqual(outside.code, 0);
      assert.match(
        outside.out,
        /requested address 10\.100\.0\.7 is in pool "vlan100-v4" but .*outside spec\.ips/,
      );
      assert.deepEqual(await holders(), ['10.100.0.121 eth0']);
    } finally {
      root.sh('podman rm -f -t 0 holder');
    }
    assert.deepEqual(await holders(), []);
    assert.deepEqual(macvlans(), ['lo', 'vlan100', 'vlan200']);
  });
});
