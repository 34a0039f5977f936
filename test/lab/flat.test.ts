// `trunkline lab` on this machine's kernel (flat variant): the shipped flat scenario and the seed
// scenario's flat variant come up through the real CNI path, the matrix matches the declared
// expectations, every pod address comes from its annotated pool, `report` draws an SVG Chromium
// renders, and `down` leaves no namespace, link, agent or allocation behind.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, readFileSync, rmSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import type { LabReport } from '../../src/lab/types.js';
import { FLAT_LABEL } from '../../src/lab/up.js';
import { ip, ipj } from '../helpers/netns.js';
import { requireTool, tierSkip } from '../helpers/tier.js';
import { EXAMPLES, labEnv, labSkipReason, runLab } from './run-cli.js';

const exec = promisify(execFile);
const le = labEnv();
const skip = tierSkip('lab', labSkipReason());
const rootJson = async <T>(args: string[]): Promise<T[]> => {
  const out = ip(['-j', ...args]).trim();
  return out === '' ? [] : (JSON.parse(out) as T[]);
};
const netnsNames = async () => (await rootJson<{ name: string }>(['netns', 'list'])).map((n) => n.name);
const ours = async () => (await netnsNames()).filter((n) => n.startsWith(le.prefix));
const rootLinks = async () =>
  (await rootJson<{ ifname: string }>(['link', 'show'])).map((l) => l.ifname).sort();
const inRange = (ipAddr: string, lo: string, hi: string) => {
  const n = (a: string) => a.split('.').reduce((x, y) => x * 256 + Number(y), 0);
  return n(ipAddr) >= n(lo) && n(ipAddr) <= n(hi);
};
/** Addresses on one interface of a pod namespace, as the kernel reports them. */
async function podAddrs(netns: string, ifname: string): Promise<string[]> {
  const out = ipj<{ addr_info: { family: string; local: string; scope: string }[] }[]>(netns, [
    'addr',
    'show',
    'dev',
    ifname,
  ]);
  return out.flatMap((l) =>
    l.addr_info.filter((a) => a.family === 'inet' && a.scope === 'global').map((a) => a.local),
  );
}

function chromium(): string | undefined {
  for (const c of ['/usr/bin/chromium', '/usr/bin/chromium-browser']) if (existsSync(c)) return c;
  return undefined;
}

describe('trunkline lab, flat variant on the host kernel', { skip, timeout: 600_000 }, () => {
  let linksBefore: string[] = [];
  before(async () => {
    linksBefore = await rootLinks();
  });
  after(async () => {
    await runLab(['down'], le).catch(() => {});
    for (const n of await ours()) {
      try {
        ip(['netns', 'del', n]);
      } catch {
        // already gone
      }
    }
    rmSync(dirname(le.stateDir), { recursive: true, force: true });
  });

  it('comes up over a half-built leftover; the flat scenario behaves as declared', async () => {
    // A crashed run left namespaces this scenario uses, with no record: `up` must clear them.
    ip(['netns', 'add', `${le.prefix}sw`]);
    ip(['netns', 'add', `${le.prefix}node1`]);
    const r = await runLab(['up', join(EXAMPLES, 'lab-flat.yaml'), '--json'], le);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, new RegExp(`half-built run left behind: .*${le.prefix}sw`));
    const rep = JSON.parse(r.stdout) as LabReport;
    assert.equal(rep.run.variant, 'flat');
    assert.equal(rep.run.label, FLAT_LABEL);
    assert.match(rep.run.kernel, /host kernel/);
    assert.equal(rep.run.attach, 'meta-plugin');
    const declared = rep.matrix.filter((c) => c.expected !== undefined);
    assert.equal(declared.length, 12);
    for (const c of declared) assert.equal(c.ok, c.expected, `${c.from} → ${c.to} (${c.target})`);
    assert.deepEqual(rep.mismatches, []);
    assert.deepEqual(rep.poolViolations, []);
    // The kernel agrees with the report, and each address is in the pool its annotations name:
    // web-* by the namespace default (vlan100-v4), db-1 and cache-1 net1 by pod annotation (vlan200-v4).
    const want: Record<string, [string, string, string, string]> = {
      'web-1': ['eth0', 'vlan100-v4', '10.100.0.100', '10.100.0.149'],
      'web-2': ['eth0', 'vlan100-v4', '10.100.0.100', '10.100.0.149'],
      'db-1': ['eth0', 'vlan200-v4', '10.200.0.100', '10.200.0.149'],
      'cache-1': ['net1', 'vlan200-v4', '10.200.0.100', '10.200.0.149'],
    };
    for (const [pod, [ifname, pool, lo, hi]] of Object.entries(want)) {
      const p = rep.pods.find((x) => x.name === pod)!;
      const addrs = await podAddrs(`${le.prefix}pod-${pod}`, ifname);
      assert.equal(addrs.length, 1, `${pod} ${ifname}: ${addrs.join(',')}`);
      assert.ok(inRange(addrs[0]!, lo, hi), `${pod} ${ifname} ${addrs[0]} not in ${lo}-${hi}`);
      assert.deepEqual(
        p.allocations.filter((a) => a.ifname === ifname),
        [{ pool, ip: addrs[0], ifname }],
      );
      assert.equal(p.target?.ip, addrs[0]);
    }
  });

  it("brings up the seed scenario's flat variant (tearing the previous lab down), labelled in every output", async () => {
    const r = await runLab(['up', join(EXAMPLES, 'lab.yaml'), '--flat'], le);
    assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
    assert.match(r.stdout, /A previous lab \(.*lab-flat\.yaml.*\) is still recorded: tearing it down first/);
    // Header, matrix title and verdict all name the variant and kernel.
    assert.ok(
      (r.stdout.match(/flat variant \(host kernel, no 802\.1q\/bonding\)/g) ?? []).length >= 3,
      r.stdout,
    );
    assert.match(r.stdout, /all 21 declared pairs behave as the scenario says/);
    assert.match(r.stdout, /^OK: flat variant/m);
    const rep = JSON.parse(readFileSync(join(le.stateDir, 'report.json'), 'utf8')) as LabReport;
    assert.deepEqual(rep.mismatches, []);
    assert.deepEqual(rep.poolViolations, []);
    const names = ['standalone-a', 'standalone-b', 'overlay-a', 'overlay-b', 'isolated-c', 'isolated-d'];
    assert.deepEqual(
      (await ours()).sort(),
      [
        `${le.prefix}sw`,
        `${le.prefix}node1`,
        `${le.prefix}node2`,
        ...names.map((n) => `${le.prefix}pod-${n}`),
      ].sort(),
    );
    const pools: Record<string, [string, string]> = {
      'standalone-a': ['eth0', 'vlan100-v4'],
      'standalone-b': ['eth0', 'vlan100-v4'],
      'overlay-a': ['net1', 'vlan200-v4'],
      'overlay-b': ['net1', 'vlan200-v4'],
      'isolated-c': ['eth0', 'vlan300-v4'],
      'isolated-d': ['eth0', 'vlan300-v4'],
    };
    for (const [pod, [ifname, pool]] of Object.entries(pools)) {
      const p = rep.pods.find((x) => x.name === pod)!;
      const [addr] = await podAddrs(`${le.prefix}pod-${pod}`, ifname);
      assert.deepEqual(p.allocations, [{ pool, ip: addr, ifname }], pod);
      const prefix = { 'vlan100-v4': '10.100.0.1', 'vlan200-v4': '10.200.0.1', 'vlan300-v4': '10.30.0.1' }[
        pool
      ]!;
      assert.ok(addr?.startsWith(prefix), `${pod} ${addr} not in ${pool}'s 1xx range`);
      const link = ipj(`${le.prefix}pod-${pod}`, ['-d', 'link', 'show', 'dev', ifname])[0];
      assert.equal(link.linkinfo.info_kind, 'macvlan');
    }
    // network-status as the meta plugin wrote it: standalone = one default macvlan entry; overlay =
    // the cluster network's eth0 (default) plus the macvlan net1.
    const status = (pod: string) =>
      rep.pods.find((x) => x.name === pod)!.networkStatus as {
        name: string;
        interface: string;
        ips: string[];
        default: boolean;
      }[];
    const sa = status('standalone-a');
    assert.deepEqual(
      sa.map((e) => [e.name, e.interface, e.default]),
      [['kube-system/macvlan-standalone-vlan100', 'eth0', true]],
    );
    const oa = status('overlay-a');
    assert.deepEqual(
      oa.map((e) => [e.name, e.interface, e.default]),
      [
        ['k8s-pod-network', 'eth0', true],
        ['kube-system/macvlan-overlay-vlan200', 'net1', false],
      ],
    );
    assert.deepEqual(oa[1]?.ips, [rep.pods.find((x) => x.name === 'overlay-a')!.target?.ip]);
  });

  it('draws an SVG report that headless Chromium renders, naming every pod', async (t) => {
    const svg = join(dirname(le.stateDir), 'lab.svg');
    const r = await runLab(['report', '--out', svg], le);
    assert.equal(r.code, 0, r.stderr);
    const text = readFileSync(svg, 'utf8');
    for (const pod of ['standalone-a', 'standalone-b', 'overlay-a', 'overlay-b', 'isolated-c', 'isolated-d'])
      assert.ok(text.includes(`pod default/${pod}`), `${pod} missing from the SVG`);
    assert.ok(text.includes('flat variant (host kernel, no 802.1q/bonding)'));
    for (const s of ['br100', 'br200', 'bond0.100', 'vlan100-v4', '10.100.0.1/24'])
      assert.ok(text.includes(s), s);
    const browser = chromium();
    if (browser === undefined) {
      requireTool('chromium', 'chromium is not installed (Debian package chromium)', (w) => t.skip(w));
      return;
    }
    const png = join(dirname(le.stateDir), 'lab.png');
    await exec(
      browser,
      [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        `--user-data-dir=${join(dirname(le.stateDir), 'chromium')}`,
        '--disable-background-networking',
        '--disable-component-update',
        '--no-first-run',
        `--screenshot=${png}`,
        '--window-size=1300,1000',
        `file://${svg}`,
      ],
      { timeout: 60_000 },
    );
    const bytes = readFileSync(png);
    assert.deepEqual([...bytes.subarray(0, 4)], [0x89, 0x50, 0x4e, 0x47], 'a PNG');
    // A blank page compresses to a few KB; the drawing has text, boxes and colours.
    assert.ok(statSync(png).size > 20_000, `screenshot is only ${statSync(png).size} bytes`);
  });

  it('`down` removes every namespace, agent, allocation and file it made, and nothing else', async () => {
    const rec = JSON.parse(readFileSync(join(le.stateDir, 'lab.json'), 'utf8')) as {
      agents: { pid: number }[];
    };
    const r = await runLab(['down', '--json'], le);
    assert.equal(r.code, 0, r.stderr);
    const d = JSON.parse(r.stdout) as {
      podsDeleted: number;
      leftoverNamespaces: string[];
      leftoverAllocations: number;
      errors: string[];
    };
    assert.equal(d.podsDeleted, 6);
    assert.deepEqual(d.errors, []);
    assert.deepEqual(d.leftoverNamespaces, []);
    assert.equal(d.leftoverAllocations, 0, 'every IPAM allocation was released by CNI DEL');
    assert.deepEqual(await ours(), []);
    assert.equal(existsSync(le.stateDir), false);
    assert.deepEqual(await rootLinks(), linksBefore);
    for (const a of rec.agents)
      assert.equal(
        existsSync(`/proc/${a.pid}/cmdline`) && readFileSync(`/proc/${a.pid}/cmdline`, 'utf8') !== '',
        false,
        `agent ${a.pid} still runs`,
      );
    const again = await runLab(['down'], le);
    assert.equal(again.code, 0);
    assert.match(again.stdout, /no lab to remove/);
  });
});

describe('trunkline lab up with a broken scenario', { skip }, () => {
  const be = labEnv();
  after(() => rmSync(dirname(be.stateDir), { recursive: true, force: true }));
  it('fails before building anything, naming manifest, line and field of each mistake', async () => {
    const r = await runLab(['up', join(EXAMPLES, 'lab-broken.yaml'), '--json'], be);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /has 4 problems/);
    assert.match(r.stderr, /nothing was built/);
    const out = JSON.parse(r.stdout) as {
      ok: boolean;
      issues: { where: string; object: string; field: string; message: string }[];
    };
    assert.equal(out.ok, false);
    assert.deepEqual(out.issues.map((i) => `${i.object} ${i.field}`).sort(), [
      'Pod default/overlay-as-default metadata.annotations["v1.multus-cni.io/default-network"]',
      'Pod default/uses-unknown-nad metadata.annotations["k8s.v1.cni.cncf.io/networks"]',
      'SpiderIPPool tiny-v4 spec.ips',
      'SpiderIPPool vlan200-v4 spec.subnet',
    ]);
    for (const i of out.issues) assert.match(i.where, /lab-broken\.yaml:\d+$/);
    assert.deepEqual(
      (await netnsNames()).filter((n) => n.startsWith(be.prefix)),
      [],
    );
    assert.equal(existsSync(be.stateDir), false);
  });
});
