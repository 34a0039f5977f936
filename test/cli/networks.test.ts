// The built CLI's `networks`, `validate` (`networks validate`) and `pools gc`, run as an operator
// would: exit codes and output, from a manifest dir and from the test API server.
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { SqliteStore } from '../../src/store/sqlite.js';
import { DIST_CLI, ROOT } from '../helpers/paths.js';
import { startKubeApiServer } from '../kube-apiserver/server.js';
import { pool, range } from '../store/contract.js';

function run(args: string[]) {
  const r = spawnSync(process.execPath, [DIST_CLI, ...args], { cwd: ROOT, encoding: 'utf8' });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

/** The test API server lives in this process: a CLI talking to it must not block the event loop. */
function runAsync(args: string[]): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [DIST_CLI, ...args], { cwd: ROOT, encoding: 'utf8' }, (e, out, err) => {
      if (e && typeof e.code !== 'number') reject(e);
      else resolve({ code: e ? (e.code as number) : 0, out, err });
    });
  });
}

const EXAMPLES = join(ROOT, 'examples', 'etc-trunkline');
const nadConfig = (name: string, plugins: unknown[]) =>
  JSON.stringify({ cniVersion: '1.0.0', name, plugins });

const NADS = [
  {
    apiVersion: 'k8s.cni.cncf.io/v1',
    kind: 'NetworkAttachmentDefinition',
    metadata: { name: 'macvlan-overlay-vlan300', namespace: 'kube-system' },
    spec: {
      config: nadConfig('macvlan-overlay-vlan300', [
        {
          type: 'trunkline-macvlan',
          master: 'bond0',
          vlanID: 300,
          ipam: {
            type: 'trunkline-ipam',
            default_ipv4_ippool: ['vlan300-v4'],
            default_ipv6_ippool: ['vlan300-v6'],
          },
        },
        { type: 'trunkline-coordinator', mode: 'overlay' },
      ]),
    },
  },
  {
    apiVersion: 'k8s.cni.cncf.io/v1',
    kind: 'NetworkAttachmentDefinition',
    metadata: { name: 'by-annotation', namespace: 'apps' },
    spec: {
      config: nadConfig('by-annotation', [
        { type: 'macvlan', master: 'eth1.42', ipam: { type: 'trunkline-ipam' } },
      ]),
    },
  },
];
const POOLS = [
  {
    apiVersion: 'spiderpool.spidernet.io/v2beta1',
    kind: 'SpiderIPPool',
    metadata: { name: 'vlan300-v4' },
    spec: {
      subnet: '10.30.0.0/24',
      ips: ['10.30.0.10-10.30.0.20'],
      multusName: ['kube-system/macvlan-overlay-vlan300'],
    },
  },
  {
    apiVersion: 'spiderpool.spidernet.io/v2beta1',
    kind: 'SpiderIPPool',
    metadata: { name: 'vlan300-v6' },
    spec: { subnet: 'fd30::/64', ips: ['fd30::10-fd30::20'], nodeName: ['n1'] },
  },
];

interface Summary {
  name: string;
  mode: string;
  chain: string[];
  master?: string;
  vlan?: number;
  pools: { ipv4: string[]; ipv6: string[] };
  poolsFrom?: string;
  problems: string[];
}

function assertWorld(doc: { networks: Summary[] }) {
  const byName = new Map(doc.networks.map((n) => [n.name, n]));
  assert.deepEqual(byName.get('kube-system/macvlan-overlay-vlan300'), {
    name: 'kube-system/macvlan-overlay-vlan300',
    mode: 'overlay',
    chain: ['trunkline-macvlan[trunkline-ipam]', 'trunkline-coordinator'],
    master: 'bond0.300',
    vlan: 300,
    pools: { ipv4: ['vlan300-v4'], ipv6: ['vlan300-v6'] },
    rejected: [],
    problems: [],
  });
  const other = byName.get('apps/by-annotation')!;
  assert.equal(other.mode, 'standalone');
  assert.equal(other.master, 'eth1.42');
  assert.equal(other.vlan, 42);
  assert.match(other.poolsFrom!, /pod annotations/);
}

describe('trunkline networks', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'trunkline-cli-networks-'));
    writeFileSync(join(dir, 'world.json'), JSON.stringify({ kind: 'List', items: [...NADS, ...POOLS] }));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('lists the README example NADs: chain, master, mode and pools', () => {
    const r = run(['networks', '--manifest-dir', EXAMPLES]);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /^NETWORK +MODE +MASTER +VLAN +POOLS +CHAIN$/m);
    assert.match(
      r.out,
      /^kube-system\/macvlan-standalone-vlan200 +standalone +vlan200 +- +vlan200-v4 +trunkline-macvlan\[trunkline-ipam\] → trunkline-coordinator$/m,
    );
  });

  it('--json from a manifest dir: overlay mode, vlanID, per-family pools, pools chosen by pods', () => {
    const r = run(['networks', '--manifest-dir', dir, '--json']);
    assert.equal(r.code, 0, r.err);
    assertWorld(JSON.parse(r.out));
  });

  it('a NAD naming a pool that does not exist is flagged with the IPAM’s reason', () => {
    const d = join(dir, 'missing-pool');
    mkdirSync(d);
    writeFileSync(join(d, 'nad.json'), JSON.stringify(NADS[0]));
    const r = run(['networks', '--manifest-dir', d]);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /kube-system\/macvlan-overlay-vlan300 \(!\)/);
    assert.match(r.out, /! no eligible IP pool: SpiderIPPool "vlan300-v4" \(IPv4\) does not exist/);
  });

  it('an unknown network exits 1; --manifest-dir with --kubeconfig is a usage error', () => {
    const r = run(['networks', '--manifest-dir', EXAMPLES, 'kube-system/nope']);
    assert.equal(r.code, 1);
    assert.match(r.err, /no NetworkAttachmentDefinition kube-system\/nope/);
    const both = run(['networks', '--manifest-dir', dir, '--kubeconfig', join(dir, 'kc')]);
    assert.equal(both.code, 2);
    assert.match(both.err, /--manifest-dir and --kubeconfig exclude each other\nusage: trunkline networks/);
  });

  it('--kubeconfig reads the NADs and pools of the cluster', async () => {
    const api = await startKubeApiServer();
    try {
      api.seed([...NADS, ...POOLS]);
      const r = await runAsync(['networks', '--kubeconfig', api.kubeconfigPath, '--json']);
      assert.equal(r.code, 0, r.err);
      assertWorld(JSON.parse(r.out));
    } finally {
      await api.stop();
    }
  });
});

const BAD = `apiVersion: spiderpool.spidernet.io/v2beta1
kind: SpiderIPPool
metadata: {name: outside}
spec: {subnet: 10.20.3.0/24, ips: [10.99.0.5]}
---
apiVersion: spiderpool.spidernet.io/v2beta1
kind: SpiderIPPool
metadata: {name: clash}
spec: {subnet: 10.100.0.0/24, ips: [10.100.0.140-10.100.0.160]}
---
apiVersion: spiderpool.spidernet.io/v2beta1
kind: SpiderReservedIP
metadata: {name: r1}
spec: {ips: [10.1.1.300]}
---
apiVersion: k8s.cni.cncf.io/v1
kind: NetworkAttachmentDefinition
metadata: {name: bad-mode, namespace: kube-system}
spec:
  config: '{"cniVersion": "1.0.0", "name": "bad-mode", "plugins": [{"type": "trunkline-macvlan", "master": "bond0.300", "mode": "bridged", "ipam": {"type": "trunkline-ipam", "default_ipv4_ippool": ["vlan100-v4"]}}]}'
---
apiVersion: k8s.cni.cncf.io/v1
kind: NetworkAttachmentDefinition
metadata: {name: no-pool, namespace: kube-system}
spec:
  config: '{"cniVersion": "1.0.0", "name": "no-pool", "plugins": [{"type": "trunkline-macvlan", "master": "bond0", "vlanID": 300, "ipam": {"type": "trunkline-ipam", "default_ipv4_ippool": ["nope-v4"]}}]}'
---
apiVersion: v1
kind: Pod
metadata:
  name: web
  namespace: default
  annotations:
    k8s.v1.cni.cncf.io/networks: kube-system/missing-net@net1, kube-system/macvlan-standalone-vlan200
    ipam.spidernet.io/ippool: '{"ipv4": ["ghost-pool"]}'
`;

describe('trunkline validate', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'trunkline-cli-validate-'));
    writeFileSync(join(dir, 'bad.yaml'), BAD);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('valid manifests exit 0', () => {
    const r = run(['validate', '-f', join(EXAMPLES, 'vlans.yaml')]);
    assert.equal(r.code, 0, r.out + r.err);
    assert.equal(r.out, '5 object(s) checked, all valid\n');
  });

  it('each invalid object is one line per problem, by the webhook’s and the plugins’ rules; exit 1; nothing written', () => {
    const before = readdirSync(dir);
    const file = join(dir, 'bad.yaml');
    const r = run(['validate', '-f', file, '--manifest-dir', EXAMPLES]);
    assert.equal(r.code, 1, r.err);
    assert.deepEqual(r.out.trimEnd().split('\n'), [
      `${file}: SpiderIPPool outside: spec.ips[0]: "10.99.0.5" is outside spec.subnet 10.20.3.0/24`,
      `${file}: SpiderIPPool clash: spec.ips: shares addresses 10.100.0.140-10.100.0.149 with SpiderIPPool "vlan100-v4"`,
      `${file}: SpiderReservedIP r1: spec.ips[0]: "10.1.1.300" is not an IP address or an "a-b" range`,
      `${file}: NetworkAttachmentDefinition kube-system/bad-mode: spec.config: plugins[0] (type trunkline-macvlan): unknown macvlan mode: "bridged" (expected one of bridge, private, vepa, passthru, source)`,
      `${file}: NetworkAttachmentDefinition kube-system/no-pool: no eligible IP pool: SpiderIPPool "nope-v4" (IPv4) does not exist`,
      `${file}: Pod default/web: metadata.annotations[k8s.v1.cni.cncf.io/networks]: network "kube-system/missing-net" not found, expected an existing NetworkAttachmentDefinition`,
      `${file}: Pod default/web: metadata.annotations[ipam.spidernet.io/ippool]: pool "ghost-pool": not found, expected an existing SpiderIPPool`,
      '6 object(s) checked, 6 invalid',
    ]);
    assert.deepEqual(readdirSync(dir), before);
    // Without the existing manifests the pod's second network is unknown too, and nothing clashes.
    const alone = run(['networks', 'validate', '-f', file, '--json']);
    assert.equal(alone.code, 1);
    const doc = JSON.parse(alone.out) as { valid: boolean; objects: { name: string; problems: string[] }[] };
    assert.equal(doc.valid, false);
    const byName = new Map(doc.objects.map((o) => [o.name, o.problems]));
    assert.deepEqual(byName.get('clash'), []);
    assert.equal(byName.get('default/web')!.filter((p) => p.includes('not found')).length, 3);
  });

  it('broken YAML is file:line:column, a missing file exits 1, no -f is a usage error', () => {
    const broken = join(dir, 'broken.yaml');
    writeFileSync(broken, 'kind: SpiderIPPool\nmetadata: {name: x\nspec: [\n');
    const bad = run(['validate', '-f', broken]);
    assert.equal(bad.code, 1);
    assert.match(bad.err, new RegExp(`^trunkline validate: ${broken}:\\d+:\\d+: invalid YAML: `));
    assert.doesNotMatch(bad.err, /\n\s+at /, 'no stack trace');
    const missing = run(['validate', '-f', join(dir, 'nope.yaml')]);
    assert.equal(missing.code, 1);
    assert.match(missing.err, /nope\.yaml: no such file or directory/);
    const none = run(['validate']);
    assert.equal(none.code, 2);
    assert.match(none.err, /expected at least one -f FILE\nusage: trunkline validate/);
    rmSync(broken);
  });
});

describe('trunkline pools gc against the test API server', () => {
  it('--dry-run lists, then a run releases, exactly the allocations of pods that are gone', async () => {
    const api = await startKubeApiServer();
    const dir = mkdtempSync(join(tmpdir(), 'trunkline-cli-gc-'));
    const db = join(dir, 'ipam.db');
    try {
      api.seed([
        {
          apiVersion: 'v1',
          kind: 'Node',
          metadata: { name: 'n1' },
          status: {
            conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: new Date(0).toISOString() }],
          },
        },
        {
          apiVersion: 'v1',
          kind: 'Pod',
          metadata: { name: 'alive', namespace: 'app', uid: 'u-alive' },
          spec: { nodeName: 'n1', containers: [{ name: 'c', image: 'x' }] },
          status: { phase: 'Running' },
        },
      ]);
      const store = new SqliteStore({ path: db });
      const v4 = pool('gc-v4', 4, range('10.20.0.1', '10.20.0.9'));
      for (const [containerId, podName, podUid] of [
        ['c-alive', 'alive', 'u-alive'],
        ['c-ghost', 'ghost', 'u-ghost'],
      ] as const)
        assert.ok(
          (
            await store.allocate({ containerId, ifname: 'eth0', podNamespace: 'app', podName, podUid }, [
              { family: 4, candidates: [v4] },
            ])
          ).ok,
        );
      await store.close();
      // Both allocations were made ten minutes ago: past the GC's in-flight grace.
      const raw = new Database(db);
      raw.prepare('UPDATE allocations SET created_at = ?').run(new Date(Date.now() - 600_000).toISOString());
      raw.close();

      const gc = (extra: string[]) =>
        runAsync(['pools', 'gc', '--db', db, '--kubeconfig', api.kubeconfigPath, ...extra]);
      const dry = await gc(['--dry-run']);
      assert.equal(dry.code, 0, dry.err);
      assert.match(
        dry.out,
        /^would release 10\.20\.0\.2 \(pool gc-v4\) of app\/ghost container c-ghost eth0: /m,
      );
      assert.match(dry.out, /2 allocations scanned, 1 to release\n$/);
      const kept = new SqliteStore({ path: db });
      assert.equal((await kept.list()).length, 2, 'a dry run releases nothing');
      await kept.close();

      const real = await gc(['--json']);
      assert.equal(real.code, 0, real.err);
      const doc = JSON.parse(real.out) as { dryRun: boolean; released: { ip: string; podName: string }[] };
      assert.equal(doc.dryRun, false);
      assert.deepEqual(
        doc.released.map((a) => [a.ip, a.podName]),
        [['10.20.0.2', 'ghost']],
      );
      const left = new SqliteStore({ path: db });
      assert.deepEqual(
        (await left.list()).map((a) => a.podName),
        ['alive'],
      );
      await left.close();
    } finally {
      await api.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
