// The VM runner's contract, in one boot: the guest's exit status and output come back, the working
// directory and TRUNKLINE_* variables are carried in, and the guest kernel has the modules.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ROOT } from '../helpers/paths.js';
import { inVmOr } from '../helpers/tier.js';
import { runInVm, vmSkipReason } from './available.js';

describe('test/vm/run', { skip: inVmOr('vm', vmSkipReason()) }, () => {
  it('reports the guest exit status and output; carries cwd and env; has bond/8021q', {
    timeout: 300_000,
  }, async (t) => {
    const script = [
      'echo "cwd=$PWD in_vm=$TRUNKLINE_IN_VM probe=$TRUNKLINE_PROBE"',
      'ip link add tvb0 type bond mode active-backup && ip link add link tvb0 name tvb0.7 type vlan id 7',
      'ip -o link show tvb0.7 | grep -c "tvb0.7@tvb0"',
      'uname -r >&2',
      'exit 7',
    ].join('\n');
    const r = await runInVm(['bash', '-c', script], {
      cwd: ROOT,
      env: { TRUNKLINE_PROBE: 'x y' },
      timeoutS: 240,
    });
    t.diagnostic(`VM boot + shell command: ${(r.ms / 1000).toFixed(1)} s`);
    assert.equal(r.code, 7, r.output + r.stderr);
    const lines = r.output.trimEnd().split('\n');
    assert.equal(lines[0], `cwd=${ROOT} in_vm=1 probe=x y`);
    assert.equal(lines[1], '1');
    assert.match(lines[2] ?? '', /^\d+\.\d+\.\d+-\d+-amd64$/);
    assert.equal(lines.length, 3, r.output);
  });
});
