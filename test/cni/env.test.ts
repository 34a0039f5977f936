import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { assertKnownArgs, parseCniArgs, podRefFromArgs } from '../../src/cni/args.js';
import { parseEnv } from '../../src/cni/env.js';
import { CniError } from '../../src/cni/errors.js';

const base = {
  CNI_COMMAND: 'ADD',
  CNI_CONTAINERID: 'abc',
  CNI_NETNS: '/var/run/netns/x',
  CNI_IFNAME: 'eth0',
  CNI_PATH: '/opt/cni/bin:/usr/lib/cni',
};
const code = (n: number) => (e: unknown) => e instanceof CniError && e.code === n;

describe('environment', () => {
  it('parses a complete ADD environment', () => {
    const env = parseEnv({ ...base, CNI_ARGS: 'IgnoreUnknown=1;K8S_POD_NAME=p;K8S_POD_NAMESPACE=ns' });
    assert.equal(env.command, 'ADD');
    assert.deepEqual(env.path, ['/opt/cni/bin', '/usr/lib/cni']);
    assert.equal(env.args.get('K8S_POD_NAME'), 'p');
  });
  const bad: [string, Record<string, string | undefined>, RegExp][] = [
    ['missing command', { ...base, CNI_COMMAND: undefined }, /CNI_COMMAND/],
    ['unknown command', { ...base, CNI_COMMAND: 'FROB' }, /unknown CNI_COMMAND/],
    ['missing container id', { ...base, CNI_CONTAINERID: undefined }, /CNI_CONTAINERID/],
    ['missing netns on ADD', { ...base, CNI_NETNS: undefined }, /CNI_NETNS/],
    ['missing path', { ...base, CNI_PATH: undefined }, /CNI_PATH/],
    ['empty ifname', { ...base, CNI_IFNAME: '' }, /CNI_IFNAME/],
    ['16-char ifname', { ...base, CNI_IFNAME: 'abcdefghijklmnop' }, /too long/],
    ['dot ifname', { ...base, CNI_IFNAME: '.' }, /\. or \.\./],
    ['dotdot ifname', { ...base, CNI_IFNAME: '..' }, /\. or \.\./],
    ['slash ifname', { ...base, CNI_IFNAME: 'a/b' }, /whitespace/],
    ['colon ifname', { ...base, CNI_IFNAME: 'a:b' }, /whitespace/],
    ['space ifname', { ...base, CNI_IFNAME: 'a b' }, /whitespace/],
    ['bad container id', { ...base, CNI_CONTAINERID: '-abc' }, /containerID/],
  ];
  for (const [name, env, msg] of bad) {
    it(`rejects ${name} with code 4`, () => {
      assert.throws(
        () => parseEnv(env),
        (e: unknown) => code(4)(e) && msg.test((e as Error).message),
      );
    });
  }
  it('lets DEL go without a netns and STATUS without anything but the command', () => {
    assert.equal(parseEnv({ ...base, CNI_COMMAND: 'DEL', CNI_NETNS: undefined }).netns, '');
    assert.equal(parseEnv({ CNI_COMMAND: 'STATUS' }).command, 'STATUS');
    assert.throws(() => parseEnv({ CNI_COMMAND: 'GC' }), code(4));
  });
});

describe('CNI_ARGS', () => {
  it('parses pairs and keeps "=" inside values', () => {
    const a = parseCniArgs('A=1;B=x=y;;C=');
    assert.deepEqual(a.pairs, [
      ['A', '1'],
      ['B', 'x=y'],
      ['C', ''],
    ]);
  });
  it('rejects a pair without "="', () => assert.throws(() => parseCniArgs('A=1;junk'), code(4)));
  it('rejects unknown keys unless IgnoreUnknown is true', () => {
    assert.throws(
      () => assertKnownArgs(parseCniArgs('MAC=x;K8S_POD_NAME=p'), ['MAC']),
      /unknown args \["K8S_POD_NAME"\]/,
    );
    assert.doesNotThrow(() => assertKnownArgs(parseCniArgs('IgnoreUnknown=1;K8S_POD_NAME=p'), ['MAC']));
    assert.doesNotThrow(() => assertKnownArgs(parseCniArgs('IgnoreUnknown=true;X=1'), []));
    assert.throws(() => assertKnownArgs(parseCniArgs('IgnoreUnknown=0;X=1'), []), code(4));
    assert.throws(() => assertKnownArgs(parseCniArgs('IgnoreUnknown=maybe'), []), code(4));
  });
  it('extracts the pod identity', () => {
    assert.deepEqual(podRefFromArgs(parseCniArgs('K8S_POD_NAMESPACE=ns;K8S_POD_NAME=p;K8S_POD_UID=u')), {
      namespace: 'ns',
      name: 'p',
      uid: 'u',
    });
    assert.equal(podRefFromArgs(parseCniArgs('K8S_POD_NAME=p')), undefined);
  });
});
