// Errors keep their cause: a CNI error made from a kernel failure says what failed in msg, the tool's
// own words in details, keeps the original as cause; the log field shows the whole chain.
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { CniError, Code, causedBy, errorText, toCniError } from '../../src/cni/errors.js';
import { errorChain } from '../../src/cni/log.js';
import { KernelError } from '../../src/kernel/errors.js';

it('causedBy: msg says what failed, details the cause’s useful part, cause the original; logs print the chain', () => {
  const kernel = new KernelError('ip exited 2', {
    argv: ['ip', 'link', 'add', 'x'],
    stderr: 'RTNETLINK answers: File exists\n',
    errno: 'EEXIST',
  });
  const e = causedBy(Code.Internal, 'failed to create macvlan on bond0', kernel);
  assert.ok(e instanceof CniError);
  assert.deepEqual(e.toObject('1.0.0'), {
    cniVersion: '1.0.0',
    code: Code.Internal,
    msg: 'failed to create macvlan on bond0',
    details: 'RTNETLINK answers: File exists; errno: EEXIST; command: ip link add x',
  });
  assert.equal(e.cause, kernel);
  const plain = causedBy(Code.IoFailure, 'cannot write x', new Error('EACCES: permission denied'));
  assert.equal(plain.details, 'EACCES: permission denied');
  const chain = errorChain(e).split('\n');
  assert.match(chain[0]!, /^CniError: failed to create macvlan on bond0/);
  assert.equal(
    chain.at(-1),
    'caused by: ip exited 2 [argv: ip link add x] [stderr: RTNETLINK answers: File exists] [errno: EEXIST]',
  );
});

it('causedBy finds the kernel error further down the chain; errorText prints the chain on one line', () => {
  const spawnErr = Object.assign(new Error('spawn ip ENOENT'), { code: 'ENOENT' });
  const kernel = new KernelError('cannot run ip: ENOENT', {
    argv: ['ip', 'link'],
    errno: 'ENOENT',
    cause: spawnErr,
  });
  const mid = new Error('cannot list links', { cause: kernel });
  const e = causedBy(Code.Internal, 'failed to read the host', mid);
  assert.equal(e.details, 'cannot run ip: ENOENT; errno: ENOENT; command: ip link');
  assert.equal(
    errorText(e),
    'failed to read the host: cannot list links: cannot run ip: ENOENT; command: ip link: spawn ip ENOENT',
  );
  // A message that already quotes its cause is not repeated; a cause-less CniError shows its details.
  const pasted = new Error('bad file: not JSON', { cause: new Error('not JSON') });
  assert.equal(errorText(pasted), 'bad file: not JSON');
  assert.equal(
    errorText(new CniError(Code.InvalidConfig, 'bad pool', 'pool "x" has no ranges')),
    'bad pool (pool "x" has no ranges)',
  );
  assert.equal(errorText('plain'), 'plain');
});

it('toCniError: a kernel reply that timed out anywhere down the chain is 11 (retry), an unknown failure 999', () => {
  const timeout = new KernelError('netlink request: Connection timed out', {
    argv: ['netlink link del'],
    errno: 'ETIMEDOUT',
  });
  const wrapped = new Error('delete eth0 in /run/netns/p', { cause: timeout });
  const e = toCniError(wrapped);
  assert.equal(e.code, Code.TryAgainLater);
  assert.equal(e.message, 'delete eth0 in /run/netns/p');
  assert.match(e.details ?? '', /errno: ETIMEDOUT/);
  assert.equal(e.cause, wrapped);
  assert.equal(toCniError(new KernelError('bad', { errno: 'EINVAL' })).code, Code.Internal);
  assert.equal(toCniError(new Error('boom')).code, Code.Internal);
});
