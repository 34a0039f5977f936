// Errors keep their cause: a CNI error made from a kernel failure says what failed in msg, the tool's
// own words in details, keeps the original as cause; the log field shows the whole chain.
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { CniError, Code, causedBy } from '../../src/cni/errors.js';
import { errorChain } from '../../src/cni/log.js';
import { KernelError } from '../../src/kernel/errors.js';

it('causedBy: msg says what failed, details the cause’s useful part, cause the original; logs print the chain', () => {
  const kernel = new KernelError(
    'ip exited 2',
    ['ip', 'link', 'add', 'x'],
    'RTNETLINK answers: File exists\n',
  );
  const e = causedBy(Code.Internal, 'failed to create macvlan on bond0', kernel);
  assert.ok(e instanceof CniError);
  assert.deepEqual(e.toObject('1.0.0'), {
    cniVersion: '1.0.0',
    code: Code.Internal,
    msg: 'failed to create macvlan on bond0',
    details: 'RTNETLINK answers: File exists',
  });
  assert.equal(e.cause, kernel);
  const plain = causedBy(Code.IoFailure, 'cannot write x', new Error('EACCES: permission denied'));
  assert.equal(plain.details, 'EACCES: permission denied');
  const chain = errorChain(e).split('\n');
  assert.match(chain[0]!, /^CniError: failed to create macvlan on bond0/);
  assert.equal(
    chain.at(-1),
    'caused by: ip exited 2 [argv: ip link add x] [stderr: RTNETLINK answers: File exists]',
  );
});
