// Namespace addressing: /var/run/netns/NAME, /run/netns/NAME and /proc/PID/ns/net reach the right
// namespace; anything that is not a network namespace is NetnsNotFound.
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { defaultKernel, Iproute2Kernel, isGone, NetnsNotFound } from '../../src/kernel/index.js';
import { ip, makeNetns, makePidNetns, type PidNetns, type TestNetns, uniqueName } from '../helpers/netns.js';

const k = new Iproute2Kernel();

describe('kernel: namespaces', () => {
  let ns: TestNetns;
  let pid: PidNetns;
  let dir: string;
  before(async () => {
    ns = await makeNetns('tk');
    pid = await makePidNetns();
    dir = await mkdtemp(join(tmpdir(), 'tk-'));
    await writeFile(join(dir, 'regular'), '');
    ip(['-n', ns.name, 'link', 'add', 'tkmark0', 'type', 'bridge']);
  });
  after(async () => {
    await ns?.cleanup();
    await pid?.cleanup();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('defaultKernel is one lazily created iproute2 backend', () => {
    assert.ok(defaultKernel() instanceof Iproute2Kernel);
    assert.equal(defaultKernel(), defaultKernel());
  });

  it('accepts named, /run and /proc/PID paths and null', async () => {
    await k.checkNetns(ns.path);
    await k.checkNetns(`/run/netns/${ns.name}`);
    await k.checkNetns(pid.path);
    await k.checkNetns(null);
  });

  for (const bad of ['missing', 'regular file', 'directory', 'relative', 'mount namespace']) {
    it(`rejects a ${bad} path with NetnsNotFound`, async () => {
      const path = {
        missing: `/var/run/netns/${uniqueName('tknone')}`,
        'regular file': join(dir, 'regular'),
        directory: dir,
        relative: 'netns/x',
        'mount namespace': `/proc/${pid.pid}/ns/mnt`,
      }[bad]!;
      await assert.rejects(k.checkNetns(path), NetnsNotFound);
    });
  }

  it('lists the links of the namespace the path names, and only those', async () => {
    const names = async (p: string | null) => (await k.listLinks(p)).map((l) => l.name);
    assert.ok((await names(ns.path)).includes('tkmark0'));
    assert.ok((await names(`/run/netns/${ns.name}`)).includes('tkmark0'));
    assert.deepEqual(await names(pid.path), ['lo']);
    assert.ok(!(await names(null)).includes('tkmark0'));
  });

  it('operations in a missing or bogus namespace throw NetnsNotFound', async () => {
    for (const p of [
      `/var/run/netns/${uniqueName('tknone')}`,
      '/proc/999999999/ns/net',
      join(dir, 'regular'),
    ]) {
      // deleteLink opens its socket and sends in one job: its namespace failure is typed the same.
      for (const op of [() => k.listLinks(p), () => k.deleteLink(p, 'tkx0')]) {
        const err = await op().then(
          () => assert.fail(`${String(op)} in ${p} succeeded`),
          (e: unknown) => e,
        );
        assert.ok(err instanceof NetnsNotFound, `${p}: ${String(err)}`);
        assert.equal(err.netns, p);
        assert.ok(isGone(err));
      }
    }
  });

  it('a missing target namespace of a new link is NetnsNotFound naming the target', async () => {
    const target = join(dir, 'regular');
    const err = await k
      .createLink(ns.path, { kind: 'veth', name: 'tkv0', peer: 'tkv1', peerNetns: target })
      .then(
        () => assert.fail('created'),
        (e: unknown) => e,
      );
    assert.ok(err instanceof NetnsNotFound);
    assert.equal(err.netns, target);
    assert.equal((await k.listLinks(ns.path)).filter((l) => l.name === 'tkv0').length, 0);
  });
});
