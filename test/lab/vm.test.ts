// The seed scenario as written — bond0 of two NICs, bond0.100/200/300 on a vlan_filtering switch
// with trunk ports — needs 802.1q and bonding. This kernel lacks them, so `lab up` must run it
// inside the real-kernel VM runner and say so; the guest builds, tests and tears down, and the host
// keeps the report. Skipped (with the reason) where qemu is missing.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { after, describe, it } from 'node:test';
import type { LabReport } from '../../src/lab/types.js';
import { ip } from '../helpers/netns.js';
import { DIST_CNI, ROOT } from '../helpers/paths.js';
import { inVmOr } from '../helpers/tier.js';
import { vmSkipReason } from '../vm/available.js';
import { EXAMPLES, labEnv, labSkipReason, runLab } from './run-cli.js';

const skip = inVmOr('vm', labSkipReason() ?? vmSkipReason());

/** The guest needs a bundled CLI with `lab` (Node under TCG is too slow to compile TypeScript). */
async function guestCli(): Promise<Record<string, string>> {
  const cli = join(DIST_CNI, '..', 'bin', 'trunkline');
  const probe = spawnSync(process.execPath, [cli, 'lab', 'help'], { encoding: 'utf8' });
  if (probe.status === 0 && probe.stdout.includes('trunkline lab')) return {};
  const out = join(ROOT, '.cache', 'lab', 'trunkline-lab.cjs');
  mkdirSync(dirname(out), { recursive: true });
  const { build } = await import('esbuild');
  await build({
    entryPoints: [join(ROOT, 'test', 'lab', 'cli-entry.ts')],
    outfile: out,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    logLevel: 'warning',
  });
  return {
    TRUNKLINE_LAB_CLI: JSON.stringify([process.execPath, out]),
    TRUNKLINE_SQLITE_BINDING: join(ROOT, 'dist', 'lib', 'better_sqlite3.node'),
  };
}

describe('trunkline lab up, default scenario, in the VM runner', { skip, timeout: 1_500_000 }, () => {
  const le = labEnv();
  after(async () => {
    await runLab(['down'], le).catch(() => {});
    rmSync(dirname(le.stateDir), { recursive: true, force: true });
  });

  it('runs the bond + 802.1q scenario on the VM kernel, says so, and tears it down there', async () => {
    Object.assign(le.env, await guestCli());
    const r = await runLab(['up', join(EXAMPLES, 'lab.yaml'), '--json'], le, { timeoutMs: 1_400_000 });
    assert.equal(r.code, 0, r.stderr.slice(-4000));
    assert.match(r.stderr, /running the seed scenario INSIDE the VM runner/);
    const rep = JSON.parse(r.stdout) as LabReport;
    assert.equal(rep.run.where, 'vm');
    assert.equal(rep.run.variant, 'vlan');
    assert.match(rep.run.label, /802\.1q trunk, bond0 of 2 NICs/);
    assert.match(rep.run.kernel, /VM runner/);
    // The nodes really have the bond of both NICs and the VLAN sub-interfaces.
    for (const n of rep.nodes) {
      const link = (name: string) => n.links.find((l) => l.name === name);
      assert.equal(link('bond0')?.kind, 'bond', n.name);
      assert.equal(link('ens224')?.master, 'bond0');
      assert.equal(link('ens256')?.master, 'bond0');
      for (const id of [100, 200, 300]) {
        assert.equal(link(`bond0.${id}`)?.kind, 'vlan');
        assert.equal(link(`bond0.${id}`)?.vlanId, id);
      }
    }
    const declared = rep.matrix.filter((c) => c.expected !== undefined);
    assert.equal(declared.length, 21);
    for (const c of declared) assert.equal(c.ok, c.expected, `${c.from} → ${c.to}`);
    assert.deepEqual(rep.poolViolations, []);
    const vlanOf = {
      'standalone-a': 100,
      'standalone-b': 100,
      'overlay-a': 200,
      'overlay-b': 200,
      'isolated-c': 300,
      'isolated-d': 300,
    } as Record<string, number>;
    for (const p of rep.pods) {
      const mac = p.ifaces.find((i) => i.kind === 'macvlan');
      assert.equal(mac?.vlan, vlanOf[p.name], p.name);
      assert.equal(p.allocations.length, 1, p.name);
      assert.equal(p.allocations[0]?.pool, `vlan${vlanOf[p.name]}-v4`);
    }
    assert.ok(rep.down, 'the guest tore the lab down');
    assert.deepEqual(rep.down.errors, []);
    assert.deepEqual(rep.down.leftoverNamespaces, []);
    assert.equal(rep.down.leftoverAllocations, 0);
    assert.equal(rep.down.podsDeleted, 6);
    // Nothing of it on the host.
    const left = ip(['netns', 'list'])
      .split('\n')
      .filter((l) => l.startsWith(le.prefix));
    assert.deepEqual(left, []);

    const svg = join(dirname(le.stateDir), 'vm.svg');
    const rr = await runLab(['report', '--out', svg], le);
    assert.equal(rr.code, 0, rr.stderr);
    const text = readFileSync(svg, 'utf8');
    for (const s of ['bond0.100', 'VM runner', 'pod default/overlay-b']) assert.ok(text.includes(s), s);
    const d = await runLab(['down'], le);
    assert.equal(d.code, 0);
    assert.equal(existsSync(le.stateDir), false);
  });
});
