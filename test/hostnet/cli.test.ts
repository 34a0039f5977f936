// `trunkline host apply|show` on this machine's kernel (mac-vlan and ethernet need no VM): runs the
// command as a process against a tv* namespace and asserts the links it leaves behind.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { ip, ipj, makeNetns, type TestNetns } from '../helpers/netns.js';
import { ROOT } from '../helpers/paths.js';

// Compiled (npm test): this file is <outDir>/test/hostnet/cli.test.js and the CLI <outDir>/src/cli/host.js.
const self = fileURLToPath(import.meta.url);
const compiled = self.endsWith('.js');
const hostModule = pathToFileURL(
  join(dirname(self), '..', '..', 'src', 'cli', compiled ? 'host.js' : 'host.ts'),
).href;

// biome-ignore lint/suspicious/noExplicitAny: ip -j output, indexed freely
type J = Record<string, any>;

interface Ran {
  code: number;
  stdout: string;
  stderr: string;
}

function host(args: string[]): Promise<Ran> {
  const script = `const m = await import(${JSON.stringify(hostModule)}); process.exitCode = await m.hostCommand(${JSON.stringify(args)});`;
  const node = [...(compiled ? [] : ['--import', 'tsx']), '--input-type=module', '-e', script];
  return new Promise((resolve) => {
    execFile(process.execPath, node, { cwd: ROOT }, (e, stdout, stderr) => {
      const code = e === null ? 0 : typeof e.code === 'number' ? e.code : 1;
      resolve({ code, stdout, stderr });
    });
  });
}

describe('trunkline host (host kernel, mac-vlan + ethernet)', () => {
  let ns: TestNetns;
  let dir: string;
  const file = (name: string) => join(dir, name);

  before(async () => {
    ns = await makeNetns('tv');
    dir = await mkdtemp(join(tmpdir(), 'tv-host-'));
    ip(['-n', ns.name, 'link', 'add', 'ens1', 'type', 'veth', 'peer', 'name', 'peer1']);
    ip(['-n', ns.name, 'link', 'set', 'peer1', 'up']);
    await writeFile(
      file('ok.yaml'),
      `interfaces:
  - {name: ens1, type: ethernet, state: up, mtu: 1400}
  - {name: mv0, type: mac-vlan, state: up, mac-vlan: {base-iface: ens1, mode: bridge}}
  - {name: mv1, type: mac-vlan, state: down, mac-vlan: {base-iface: ens1, mode: private}}
`,
    );
  });
  after(async () => {
    await ns.cleanup();
    await rm(dir, { recursive: true, force: true });
  });

  const links = async () => new Map(ipj(ns.name, ['-d', 'link', 'show']).map((l: J) => [l['ifname'], l]));

  it('apply creates the mac-vlans and sets the NIC, then a second apply changes nothing', async () => {
    const r = await host(['apply', '-f', file('ok.yaml'), '--netns', ns.path]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /create mac-vlan mv0 \(ens1 bridge\)/);
    assert.match(r.stdout, /host apply: \d+ step\(s\) applied and verified/);
    const l = await links();
    assert.equal(l.get('ens1')?.mtu, 1400);
    assert.deepEqual(
      [l.get('mv0')?.linkinfo.info_kind, l.get('mv0')?.linkinfo.info_data.mode, l.get('mv0')?.link],
      ['macvlan', 'bridge', 'ens1'],
    );
    assert.ok(l.get('mv0')?.flags.includes('UP'));
    assert.equal(l.get('mv1')?.linkinfo.info_data.mode, 'private');
    assert.ok(!l.get('mv1')?.flags.includes('UP'));

    const again = await host(['apply', '-f', file('ok.yaml'), '--netns', ns.path]);
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, /^host apply: no changes/m);
    assert.deepEqual(await links(), l);
  });

  it('show prints the namespace in the nmstate schema', async () => {
    const r = await host(['show', '--json', '--netns', ns.path]);
    assert.equal(r.code, 0, r.stderr);
    const doc = JSON.parse(r.stdout) as { interfaces: Record<string, unknown>[] };
    const mv0 = doc.interfaces.find((i) => i['name'] === 'mv0');
    assert.deepEqual(mv0?.['mac-vlan'], { 'base-iface': 'ens1', mode: 'bridge', promiscuous: true });
    assert.equal(mv0?.['type'], 'mac-vlan');
    assert.equal(doc.interfaces.find((i) => i['name'] === 'ens1')?.['mtu'], 1400);
    const yaml = await host(['show', '--netns', ns.path]);
    assert.match(yaml.stdout, /^interfaces:\n {2}- name: ens1\n/);
  });

  it('a kernel failure midway exits 1 and leaves the namespace as it was', async () => {
    const beforeLinks = await links();
    await writeFile(
      file('bad.yaml'),
      `interfaces:
  - {name: ens1, type: ethernet, mtu: 1300}
  - {name: mv0, type: mac-vlan, state: absent}
  - {name: mv2, type: mac-vlan, mac-vlan: {base-iface: ens1, mode: vepa}}
  - {name: mv3, type: mac-vlan, mtu: 9000, mac-vlan: {base-iface: ens1, mode: bridge}}
`,
    );
    const r = await host(['apply', '-f', file('bad.yaml'), '--netns', ns.path]);
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.match(r.stderr, /create mac-vlan mv3 .*rolled back to the previous state/);
    assert.match(r.stdout, /rollback: create mac-vlan mv0/);
    const now = await links();
    assert.deepEqual([...now.keys()].sort(), [...beforeLinks.keys()].sort());
    for (const [name, l] of beforeLinks) {
      const n = now.get(name);
      assert.deepEqual(
        [n?.mtu, n?.address, n?.flags, n?.linkinfo?.info_data?.mode, n?.link],
        [l.mtu, l.address, l.flags, l.linkinfo?.info_data?.mode, l.link],
        name,
      );
    }
  });

  it('a gateway that does not answer fails the probe and rolls back', async () => {
    await writeFile(file('mtu.yaml'), 'interfaces:\n  - {name: ens1, type: ethernet, mtu: 1450}\n');
    const r = await host([
      'apply',
      '-f',
      file('mtu.yaml'),
      '--netns',
      ns.path,
      '--probe-gw',
      '192.0.2.1',
      '--probe-timeout',
      '1',
    ]);
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.match(r.stderr, /probe failed: 192\.0\.2\.1 did not answer within 1000 ms/);
    assert.equal((await links()).get('ens1')?.mtu, 1400);
  });

  it('invalid input exits 2 naming the interface and the field', async () => {
    await writeFile(
      file('invalid.yaml'),
      'interfaces:\n  - {name: b0, type: bond, link-aggregation: {mode: 9}}\n',
    );
    const r = await host(['apply', '-f', file('invalid.yaml'), '--netns', ns.path]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /interface b0: link-aggregation\.mode: expected .* found 9/);
    const missing = await host(['apply', '-f', file('nope.yaml')]);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /cannot read .*nope\.yaml/);
    assert.equal((await host(['frobnicate'])).code, 2);
    const gone = await host(['show', '--netns', '/var/run/netns/tv-does-not-exist']);
    assert.equal(gone.code, 1);
    assert.match(gone.stderr, /tv-does-not-exist/);
  });
});
