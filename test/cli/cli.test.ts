// The built `trunkline` command line, run as an operator would: exit codes and output.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { SqliteStore } from '../../src/store/sqlite.js';
import { DIST_CLI, ROOT } from '../helpers/paths.js';
import { pool, range } from '../store/contract.js';

function run(args: string[]) {
  const r = spawnSync(process.execPath, [DIST_CLI, ...args], { cwd: ROOT, encoding: 'utf8' });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

test('--version and --help exit 0; no command or an unknown one is a usage error (2)', () => {
  const v = run(['--version']);
  const { version } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
  assert.equal(v.code, 0);
  assert.equal(v.out, `trunkline ${version}\n`);
  const h = run(['--help']);
  assert.equal(h.code, 0);
  assert.match(h.out, /^usage: trunkline <command>/);
  assert.match(h.out, /exit status: 0 success; 1 .*; 2 usage error/s);
  for (const args of [[], ['bogus'], ['--bogus']]) {
    const r = run(args);
    assert.equal(r.code, 2, args.join(' '));
    assert.match(r.err, /usage: trunkline <command>/);
  }
});

const HELPS: [string[], RegExp][] = [
  [['host'], /trunkline host apply -f FILE/],
  [['host', 'apply'], /trunkline host apply -f FILE/],
  [['host', 'show'], /trunkline host show/],
  [['lab'], /usage: trunkline lab/],
  [['lab', 'up'], /usage: trunkline lab/],
  [['lab', 'down'], /usage: trunkline lab/],
  [['pools'], /usage: trunkline pools/],
  [['networks'], /usage: trunkline networks/],
  [['networks', 'validate'], /usage: trunkline validate/],
  [['validate'], /usage: trunkline validate/],
  [['agent'], /usage: trunkline agent/],
  [['controller'], /usage: trunkline controller/],
  [['install'], /usage: trunkline install/],
  [['uninstall'], /usage: trunkline uninstall/],
  [['demo'], /usage: trunkline demo/],
  [['completion'], /usage: trunkline completion/],
];

test('--help and -h on every command and subcommand print its usage and exit 0, touching nothing', () => {
  for (const [cmd, usage] of HELPS)
    for (const flag of ['--help', '-h']) {
      const r = run([...cmd, flag]);
      assert.equal(r.code, 0, `${cmd.join(' ')} ${flag}: ${r.err}`);
      assert.match(r.out, usage, `${cmd.join(' ')} ${flag}`);
      assert.equal(r.err, '', `${cmd.join(' ')} ${flag}`);
    }
});

test('an unknown flag is one line naming it, then the usage, exit 2', () => {
  for (const [cmd, usage] of HELPS) {
    if (cmd[0] === 'completion') continue;
    const r = run([...cmd, '--no-such-flag']);
    assert.equal(r.code, 2, `${cmd.join(' ')}: ${r.out}${r.err}`);
    const [first, ...rest] = r.err.split('\n');
    assert.match(first!, /^trunkline [a-z ]+: .*--no-such-flag/, cmd.join(' '));
    assert.match(rest.join('\n'), usage, cmd.join(' '));
    assert.doesNotMatch(r.err, /\n\s+at /, 'no stack trace');
  }
  const missing = run(['host', 'apply', '-f']);
  assert.equal(missing.code, 2);
  assert.match(missing.err, /'-f, --file <value>' argument missing/);
});

test('completion: bash and zsh scripts that complete commands, subcommands and flags', () => {
  const bash = run(['completion', 'bash']);
  assert.equal(bash.code, 0);
  const complete = (words: string[]) => {
    const script = `${bash.out}\nCOMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')}); COMP_CWORD=${words.length - 1}; _trunkline; echo "\${COMPREPLY[*]}"`;
    const r = spawnSync('bash', ['-c', script], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    return r.stdout.trim().split(' ');
  };
  assert.deepEqual(complete(['trunkline', 'po']), ['pools']);
  assert.deepEqual(complete(['trunkline', 'host', '']).sort(), ['--help', 'apply', 'show']);
  assert.ok(complete(['trunkline', 'host', 'apply', '--']).includes('--probe-gw'));
  assert.ok(!complete(['trunkline', 'host', 'show', '--']).includes('--probe-gw'));
  assert.ok(complete(['trunkline', 'pools', '--']).includes('--manifest-dir'));
  const zsh = run(['completion', 'zsh']);
  assert.equal(zsh.code, 0);
  assert.match(zsh.out, /^#compdef trunkline/);
  assert.equal(run(['completion', 'fish']).code, 2);
});

test('pools: unknown pool and a missing --db exit 1; broken YAML is file:line:column; --conf takes a meta conflist', () => {
  const dir = mkdtempSync(join(tmpdir(), 'trunkline-cli-'));
  try {
    const manifests = join(ROOT, 'examples', 'etc-trunkline');
    const unknown = run(['pools', '--manifest-dir', manifests, 'no-such-pool']);
    assert.equal(unknown.code, 1);
    assert.match(unknown.err, /no pool named no-such-pool/);
    const noDb = run(['pools', '--manifest-dir', manifests, '--db', join(dir, 'missing.db')]);
    assert.equal(noDb.code, 1);
    assert.match(noDb.err, /missing\.db: no such allocation store/);

    const broken = join(dir, 'broken');
    rmSync(broken, { recursive: true, force: true });
    spawnSync('mkdir', [broken]);
    writeFileSync(join(broken, 'pools.yaml'), 'kind: SpiderIPPool\nmetadata: {name: x\nspec: [\n');
    const bad = run(['pools', '--manifest-dir', broken]);
    assert.equal(bad.code, 1);
    assert.match(bad.err, new RegExp(`${join(broken, 'pools.yaml')}:\\d+:\\d+: invalid YAML: `));
    assert.doesNotMatch(bad.err, /\n\s+at /, 'no stack trace');

    const conflist = join(dir, '00-trunkline.conflist');
    writeFileSync(
      conflist,
      JSON.stringify({
        cniVersion: '1.0.0',
        name: 'trunkline',
        plugins: [{ type: 'trunkline', source: { type: 'local', manifestDir: manifests } }],
      }),
    );
    const viaConf = run(['pools', '--conf', conflist, '--json']);
    assert.equal(viaConf.code, 0, viaConf.err);
    const doc = JSON.parse(viaConf.out) as { manifestDir: string; pools: { name: string; free: string }[] };
    assert.equal(doc.manifestDir, manifests);
    assert.deepEqual(
      doc.pools.map((p) => [p.name, p.free]),
      [
        ['vlan100-v4', '50'],
        ['vlan200-v4', '50'],
      ],
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("the README's command-line examples run as written", () => {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('### The `trunkline` command line'));
  const block = /```sh\n([\s\S]*?)```/.exec(section)?.[1];
  assert.ok(block, 'the README has the command-line example block');
  // The manifests the examples read are the README's own vlans.yaml.
  const yaml = /`\/etc\/trunkline\/vlans\.yaml`[\s\S]*?```yaml\n([\s\S]*?)```/.exec(readme)?.[1];
  assert.equal(readFileSync(join(ROOT, 'examples', 'etc-trunkline', 'vlans.yaml'), 'utf8'), yaml);
  const r = spawnSync('bash', ['-euo', 'pipefail', '-c', block], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { ...process.env, PATH: `${dirname(process.execPath)}:${process.env['PATH']}` },
  });
  assert.equal(r.status, 0, `${r.stdout}\n${r.stderr}`);
  assert.match(r.stdout, /vlan100-v4 +4 +10\.100\.0\.0\/24 +50 +50 +0 +50/);
  assert.match(r.stdout, /exit 1: no such pool/);
  assert.match(r.stdout, /exit 1: the store must exist/);
  assert.match(
    r.stdout,
    /kube-system\/macvlan-standalone-vlan100 +standalone +vlan100 +- +vlan100-v4 +trunkline-macvlan\[trunkline-ipam\] → trunkline-coordinator/,
  );
  assert.match(r.stdout, /^5 object\(s\) checked, all valid$/m);
});

test('pools release IP: refuses a young allocation, releases with --force through the store, then says it is free', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'trunkline-cli-'));
  const db = join(dir, 'ipam.db');
  try {
    const store = new SqliteStore({ path: db });
    try {
      const r = await store.allocate(
        { containerId: 'c1', ifname: 'net1', podNamespace: 'default', podName: 'web-0' },
        [{ family: 4, candidates: [pool('vlan100-v4', 4, range('10.100.0.100', '10.100.0.149'))] }],
      );
      assert.ok(r.ok);
    } finally {
      await store.close();
    }
    const young = run(['pools', 'release', '10.100.0.100', '--db', db]);
    assert.equal(young.code, 1);
    assert.match(young.err, /default\/web-0 container c1 net1: its ADD may still be running/);
    const shown = run(['pools', '--manifest-dir', join(ROOT, 'examples', 'etc-trunkline'), '--db', db]);
    assert.match(shown.out, /10\.100\.0\.100 +default\/web-0 +container c1 net1/);
    const forced = run(['pools', 'release', '10.100.0.100', '--db', db, '--force', '--json']);
    assert.equal(forced.code, 0, forced.err);
    assert.deepEqual(
      (JSON.parse(forced.out) as { released: { ip: string }[] }).released.map((a) => a.ip),
      ['10.100.0.100'],
    );
    const after = new SqliteStore({ path: db });
    try {
      assert.deepEqual(await after.list(), []);
    } finally {
      await after.close();
    }
    const again = run(['pools', 'release', '10.100.0.100', '--db', db]);
    assert.equal(again.code, 1);
    assert.match(again.err, /10\.100\.0\.100 is not allocated/);
    assert.equal(run(['pools', 'release', '--db', db]).code, 2);
    const noCluster = run(['pools', 'gc', '--db', db, '--dry-run', '--kubeconfig', join(dir, 'none')]);
    assert.equal(noCluster.code, 1);
    assert.match(noCluster.err, /^trunkline pools gc: cannot read the cluster/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('without root: the missing privilege is named, nothing is touched', () => {
  const dir = mkdtempSync(join(tmpdir(), 'trunkline-cli-'));
  try {
    const host = join(dir, 'host.yaml');
    writeFileSync(host, 'interfaces: []\n');
    chmodSync(dir, 0o755);
    chmodSync(host, 0o644);
    const asNobody = (args: string[]) => {
      const r = spawnSync(
        'setpriv',
        [
          '--reuid=65534',
          '--regid=65534',
          '--clear-groups',
          '--inh-caps=-all',
          process.execPath,
          DIST_CLI,
          ...args,
        ],
        { cwd: dir, encoding: 'utf8' },
      );
      assert.equal(r.error, undefined, 'setpriv (util-linux) is needed');
      return { code: r.status, err: r.stderr };
    };
    const apply = asNobody(['host', 'apply', '-f', host]);
    assert.equal(apply.code, 1);
    assert.equal(
      apply.err,
      'trunkline host apply: needs CAP_NET_ADMIN to change network devices (run as root); nothing was changed\n',
    );
    const agent = asNobody(['agent', '--socket', '/run/trunkline-cli-test/agent.sock']);
    assert.equal(agent.code, 1);
    assert.match(
      agent.err,
      /needs CAP_NET_ADMIN .* and write access to \/run \(to create \/run\/trunkline-cli-test\)/,
    );
    const uninstall = asNobody(['uninstall', '--state-dir', '/var/lib/trunkline-cli-test']);
    assert.equal(uninstall.code, 1);
    assert.match(uninstall.err, /needs write access to \/var\/lib/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('host apply --dry-run prints the plan and changes nothing', () => {
  const ns = `tlcli-dry-${process.pid}`;
  const dir = mkdtempSync(join(tmpdir(), 'trunkline-cli-'));
  assert.equal(spawnSync('ip', ['netns', 'add', ns]).status, 0, 'ip netns add (needs root)');
  try {
    const file = join(dir, 'bond.yaml');
    writeFileSync(
      file,
      'interfaces:\n- name: bond0\n  type: bond\n  state: up\n  link-aggregation: {mode: active-backup, port: []}\n',
    );
    const r = run(['host', 'apply', '--dry-run', '--json', '-f', file, '--netns', `/var/run/netns/${ns}`]);
    assert.equal(r.code, 0, r.err);
    assert.deepEqual(JSON.parse(r.out), {
      dryRun: true,
      steps: ['create bond bond0 (active-backup)', 'set bond0 up'],
    });
    const links = spawnSync('ip', ['-n', ns, '-o', 'link'], { encoding: 'utf8' }).stdout;
    assert.doesNotMatch(links, /bond0/, 'nothing was created');
  } finally {
    spawnSync('ip', ['netns', 'del', ns]);
    rmSync(dir, { recursive: true, force: true });
  }
});
