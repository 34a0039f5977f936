// A separate allocating process for the concurrency and crash tests (not a test file itself). The
// tests bundle it with esbuild into one CommonJS file, as the real plugin executables are built.
// argv: <dbPath> <poolsJsonFile> <containerIdPrefix> <count> <ipv4 pools,comma> [ipv6 pools,comma]
// For each k < count it allocates for holder "<prefix>-<k>"/eth1 through the domain operation and
// prints one JSON line after the store returned, so a line on stdout means "this ADD succeeded".
// With ALLOC_WORKER_HOLD_LAST=1 it stops before its last allocation until stdin closes.
import { readFileSync } from 'node:fs';
import type { SpiderIPPool } from '../../src/cluster/types.js';
import { CniError } from '../../src/cni/errors.js';
import { allocate } from '../../src/ipam/allocate.js';
import { SqliteStore } from '../../src/store/sqlite.js';

async function main(): Promise<void> {
  const [dbPath = '', poolsFile = '', prefix = 'c', countArg = '1', v4 = '', v6 = ''] = process.argv.slice(2);
  const pools = JSON.parse(readFileSync(poolsFile, 'utf8')) as SpiderIPPool[];
  const store = new SqliteStore({ path: dbPath });
  let failures = 0;
  const count = Number(countArg);
  for (let k = 0; k < count; k++) {
    // A process the crash test will kill waits before its last allocation until its stdin closes
    // (never: the kill comes first), so a fast process cannot finish the burst before the kill.
    if (process.env['ALLOC_WORKER_HOLD_LAST'] === '1' && k === count - 1 && k > 0)
      await new Promise((resolve) => process.stdin.once('end', resolve).resume());
    const containerId = `${prefix}-${k}`;
    try {
      const r = await allocate({
        store,
        pools,
        reserved: [],
        podNamespace: 'load',
        podName: containerId,
        containerId,
        ifname: 'eth1',
        defaults: { ipv4: v4 ? v4.split(',') : [], ipv6: v6 ? v6.split(',') : [] },
      });
      process.stdout.write(
        `${JSON.stringify({ ok: true, containerId, ips: r.ips.map((i) => i.address) })}\n`,
      );
    } catch (e) {
      failures++;
      const err = e instanceof CniError ? { code: e.code, msg: e.message } : { code: -1, msg: String(e) };
      process.stdout.write(`${JSON.stringify({ ok: false, containerId, ...err })}\n`);
    }
  }
  await store.close();
  process.exitCode = failures > 0 ? 2 : 0;
}

main().catch((e: unknown) => {
  process.stderr.write(`${String(e)}\n`);
  process.exitCode = 1;
});
