// The delegation guard (cycles and depth → code 7) and the in-process deadline (code 11 at expiry,
// a late successful ADD undone with a DEL).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { invokeWithDeadline } from '../../src/cni/deadline.js';
import { CniError } from '../../src/cni/errors.js';
import { execPlugin } from '../../src/cni/exec.js';
import { EXEC_ONLY, type Plugin } from '../../src/cni/plugin.js';

const conf = JSON.stringify({ cniVersion: '1.0.0', name: 'dl', type: 'x' });
const env = {
  command: 'ADD' as const,
  containerId: 'c1',
  netns: '/proc/self/ns/net',
  ifname: 'eth0',
  path: ['/nonexistent'],
};

function plugin(name: string, add: Plugin['add'], del: Plugin['del'] = async () => {}): Plugin {
  return {
    name,
    loadConf: (raw) => raw,
    add,
    del,
    check: async () => {},
    status: async () => {},
    gc: async () => {},
  };
}

describe('delegation guard', () => {
  it('a plugin delegating to itself is refused with code 7 naming the cycle', async () => {
    const registry = new Map<string, Plugin>();
    registry.set(
      'tl-loop',
      plugin('tl-loop', () => execPlugin('tl-loop', env, conf, { registry }) as never),
    );
    await assert.rejects(execPlugin('tl-loop', env, conf, { registry }), (e: unknown) => {
      assert.ok(e instanceof CniError);
      assert.equal(e.code, 7);
      assert.match(e.message, /delegation cycle: tl-loop → tl-loop/);
      return true;
    });
  });

  it('a chain deeper than 8 distinct plugins is refused with code 7', async () => {
    const names = Array.from({ length: 12 }, (_, i) => `tl-d${i}`);
    const registry = new Map<string, Plugin>();
    for (const [i, n] of names.entries()) {
      registry.set(
        n,
        plugin(n, () => execPlugin(names[i + 1] ?? 'none', env, conf, { registry }) as never),
      );
    }
    await assert.rejects(execPlugin('tl-d0', env, conf, { registry }), (e: unknown) => {
      assert.ok(e instanceof CniError);
      assert.equal(e.code, 7);
      assert.match(e.message, /delegation deeper than 8 plugins/);
      return true;
    });
  });

  it('the exec path carries the chain in TRUNKLINE_DELEGATION', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tl-chain-'));
    writeFileSync(
      join(dir, 'tl-show'),
      '#!/bin/sh\ncat >/dev/null\nprintf \'{"cniVersion":"1.0.0","ips":[],"dns":{"domain":"%s"}}\' "$TRUNKLINE_DELEGATION"\n',
      { mode: 0o755 },
    );
    let seen: unknown;
    const registry = new Map<string, Plugin>();
    registry.set(
      'tl-outer',
      plugin('tl-outer', async () => {
        seen = await execPlugin('tl-show', { ...env, path: [dir] }, conf, { registry });
        return { cniVersion: '1.0.0' };
      }),
    );
    try {
      await execPlugin('tl-outer', env, conf, { registry });
      assert.deepEqual((seen as { dns: unknown }).dns, { domain: 'tl-outer,tl-show' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('in-process deadline', () => {
  it('answers code 11 at expiry and undoes a late successful ADD with a DEL', async () => {
    let finish: () => void = () => {};
    const dels: string[] = [];
    const p = plugin(
      'tl-hang',
      () =>
        new Promise((resolve) => {
          finish = () => resolve({ cniVersion: '1.0.0', ips: [] });
        }),
      async (inv) => {
        dels.push(inv.env.containerId);
      },
    );
    const vars = {
      CNI_COMMAND: 'ADD',
      CNI_CONTAINERID: 'late1',
      CNI_NETNS: '/proc/self/ns/net',
      CNI_IFNAME: 'eth0',
      CNI_PATH: '/nonexistent',
    };
    const out = await invokeWithDeadline(p, vars, Buffer.from(conf), 50, EXEC_ONLY);
    assert.equal(out.exitCode, 1);
    assert.equal(JSON.parse(out.stdout).code, 11);
    assert.deepEqual(dels, []);
    finish();
    for (let i = 0; i < 100 && dels.length === 0; i++) await new Promise((r) => setImmediate(r));
    assert.deepEqual(dels, ['late1']);
  });

  it('a call within the deadline is returned as is', async () => {
    const p = plugin('tl-quick', async () => ({ cniVersion: '1.0.0', ips: [] }));
    const vars = {
      CNI_COMMAND: 'ADD',
      CNI_CONTAINERID: 'q',
      CNI_NETNS: '/proc/self/ns/net',
      CNI_IFNAME: 'eth0',
      CNI_PATH: '/nonexistent',
    };
    const out = await invokeWithDeadline(p, vars, Buffer.from(conf), 60_000, EXEC_ONLY);
    assert.equal(out.exitCode, 0, out.stdout);
  });
});
