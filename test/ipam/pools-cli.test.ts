// `trunkline pools` (src/cli/pools.ts) over real manifests and a real store file.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { poolsCommand } from '../../src/cli/pools.js';
import { parseIp } from '../../src/store/ip.js';
import { SqliteStore } from '../../src/store/sqlite.js';

const POOLS = `
apiVersion: spiderpool.spidernet.io/v2beta1
kind: SpiderIPPool
metadata: {name: vlan100-v4}
spec: {subnet: 10.100.0.0/24, ips: [10.100.0.10-10.100.0.19], excludeIPs: [10.100.0.19], gateway: 10.100.0.1, default: true}
---
apiVersion: spiderpool.spidernet.io/v2beta1
kind: SpiderIPPool
metadata: {name: broken}
spec: {subnet: 10.5.0.0/24, ips: [10.6.0.1]}
---
apiVersion: spiderpool.spidernet.io/v2beta1
kind: SpiderReservedIP
metadata: {name: r}
spec: {ips: [10.100.0.18]}
`;

let dir: string;
let manifestDir: string;
let db: string;
before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'trunkline-pools-cli-'));
  manifestDir = join(dir, 'etc');
  mkdirSync(manifestDir);
  writeFileSync(join(manifestDir, 'pools.yaml'), POOLS);
  db = join(dir, 'ipam.db');
  const store = new SqliteStore({ path: db });
  const v = (s: string) => parseIp(s)!.value;
  const pool = {
    pool: 'vlan100-v4',
    family: 4 as const,
    intervals: [{ start: v('10.100.0.10'), end: v('10.100.0.17') }],
  };
  for (const [cid, name] of [
    ['c1', 'web-0'],
    ['c2', 'web-1'],
  ]) {
    const r = await store.allocate(
      { containerId: cid!, ifname: 'net1', podNamespace: 'apps', podName: name!, podUid: `u-${name}` },
      [{ family: 4, candidates: [pool] }],
    );
    assert.ok(r.ok);
  }
  await store.allocate({ containerId: 'c9', ifname: 'net1' }, [
    {
      family: 4,
      candidates: [
        { pool: 'gone-pool', family: 4, intervals: [{ start: v('10.9.0.1'), end: v('10.9.0.1') }] },
      ],
    },
  ]);
  await store.close();
});
after(() => rmSync(dir, { recursive: true, force: true }));

async function run(argv: string[]): Promise<{ code: number; text: string }> {
  let text = '';
  const code = await poolsCommand(argv, (s) => {
    text += s;
  });
  return { code, text };
}

describe('trunkline pools', () => {
  it('prints counts, holders, validation problems and orphaned allocations', async () => {
    const { code, text } = await run(['--manifest-dir', manifestDir, '--db', db]);
    assert.equal(code, 0);
    const lines = text.split('\n');
    assert.match(lines[0] ?? '', /^POOL\s+IPV\s+SUBNET\s+TOTAL\s+USABLE\s+ALLOCATED\s+FREE\s+FLAGS$/);
    // total 9 (10..18), usable 8 (minus reserved .18), 2 allocated, 6 free
    assert.ok(
      lines.some((l) => /^vlan100-v4\s+4\s+10\.100\.0\.0\/24\s+9\s+8\s+2\s+6\s+default$/.test(l)),
      text,
    );
    assert.ok(
      lines.some((l) => /^broken\s+4\s+10\.5\.0\.0\/24\s+0\s+0\s+0\s+0\s+INVALID$/.test(l)),
      text,
    );
    assert.match(text, /10\.100\.0\.10\s+apps\/web-0\s+container c1 net1 since /);
    assert.match(text, /10\.100\.0\.11\s+apps\/web-1\s+container c2 net1 since /);
    assert.match(
      text,
      /! SpiderIPPool "broken": spec\.ips\[0\]: "10\.6\.0\.1" is outside spec\.subnet 10\.5\.0\.0\/24/,
    );
    assert.match(
      text,
      /allocations in pools that no longer exist:\n\s+10\.9\.0\.1\s+-\s+container c9 net1 .*\(pool gone-pool\)/,
    );
  });

  it('--json carries Spiderpool status and holders; positional names filter', async () => {
    const { code, text } = await run(['--manifest-dir', manifestDir, '--db', db, '--json', 'vlan100-v4']);
    assert.equal(code, 0);
    const doc = JSON.parse(text);
    assert.equal(doc.pools.length, 1);
    const p = doc.pools[0];
    assert.deepEqual([p.name, p.total, p.usable, p.allocated, p.free], ['vlan100-v4', '9', '8', 2, '6']);
    assert.equal(p.status.totalIPCount, 9);
    assert.equal(p.status.allocatedIPCount, 2);
    assert.deepEqual(JSON.parse(p.status.allocatedIPs)['10.100.0.10'].pod, 'apps/web-0');
    assert.deepEqual(doc.unknownPoolAllocations, []);
  });

  it('reads paths from a CNI config; a store it names that does not exist is an error', async () => {
    const conf = join(dir, 'net.conflist');
    writeFileSync(
      conf,
      JSON.stringify({
        cniVersion: '1.1.0',
        name: 'n',
        plugins: [
          {
            type: 'trunkline-macvlan',
            ipam: { type: 'trunkline-ipam', manifestDir, store: { path: join(dir, 'none.db') } },
          },
        ],
      }),
    );
    // A store the operator named must exist: reading a wrong path would show every address free.
    assert.equal((await run(['--conf', conf, '--json'])).code, 1);
    writeFileSync(conf, readFileSync(conf, 'utf8').replace(join(dir, 'none.db'), db));
    const { code, text } = await run(['--conf', conf, '--json']);
    assert.equal(code, 0);
    const doc = JSON.parse(text);
    assert.equal(doc.store, db);
    assert.equal(doc.manifestDir, manifestDir);
    assert.equal(doc.pools.find((p: { name: string }) => p.name === 'vlan100-v4').allocated, 2);
  });

  it('rejects unknown options with exit code 2', async () => {
    assert.equal((await run(['--bogus'])).code, 2);
    assert.equal((await run(['--help'])).code, 0); // the usage goes to stdout (test/cli checks it)
  });
});
