// Runs the real-kernel host plumbing tests (kernel-in-vm.test.ts: apply/show/idempotence/rollback;
// seed-in-vm.test.ts: the seed topology end to end), the VLAN/bond kernel tests on both backends and
// the on-demand bond/VLAN ADDs with and without the agent (netlink, its default) in one VM boot of
// Debian's kernel (test/vm/run), because this machine's kernel has neither bonding nor 802.1q.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ROOT } from '../helpers/paths.js';
import { inVmOr } from '../helpers/tier.js';
import { guestTestArgv, runInVm, vmSkipReason } from '../vm/available.js';

const skip = inVmOr('vm', vmSkipReason());

describe('host plumbing in the VM', { skip }, () => {
  it('bond/VLAN apply, show, idempotence, rollback; the seed topology end to end', {
    timeout: 900_000,
  }, async (t) => {
    const argv = await guestTestArgv(
      'test/hostnet/kernel-in-vm.test',
      'test/hostnet/seed-in-vm.test',
      'test/kernel/vlan-bond.test',
      'test/plugins/macvlan/ifacer-in-vm.test',
      'test/agent/netlink-kernel.test',
    );
    const r = await runInVm(argv, { cwd: ROOT, timeoutS: 840 });
    t.diagnostic(`VM boot + guest tests: ${(r.ms / 1000).toFixed(1)} s`);
    const tail = `${r.output.slice(-6000)}\n${r.stderr.slice(-2000)}`;
    assert.equal(r.code, 0, `guest exit status ${r.code}\n${tail}`);
    assert.match(r.output, /^# fail 0$/m, tail);
    assert.match(r.output, /^# skipped 0$/m, tail);
    assert.match(r.output, /ok \d+ - four racing ADDs create bond0/, 'the on-demand bond/VLAN test ran');
    assert.match(
      r.output,
      /ok \d+ - the same through the node agent on its netlink backend/,
      'the on-demand bond/VLAN test ran through the agent (netlink)',
    );
    assert.match(
      r.output,
      /ok \d+ - kernel: vlan and bond \(netlink backend\)/,
      'netlink VLAN/bond tests ran',
    );
    const pass = Number(/^# pass (\d+)$/m.exec(r.output)?.[1] ?? 0);
    assert.ok(pass >= 8, `expected at least 5 passing guest tests, got ${pass}\n${tail}`);
    for (const name of [...r.output.matchAll(/^ {4}ok \d+ - (.*)$/gm)].map((m) => m[1]))
      t.diagnostic(`guest: ok - ${name}`);
  });
});
