// libFuzzer on the C parts' input handling, for a bounded time per target: the shim's reply parser
// and cniVersion sniffer (shim_reply), its JSON escaping and request framing (shim_json), and the
// netlink addon's receive path (nl_recv). Each target links the same .c unit the product builds
// (src/shim/wire.c, src/kernel/netlink/nlrecv.c) with ASan+UBSan. The seed corpus lives in
// test/native/corpus/<target> (new finds go to a temporary directory, so the checkout stays clean);
// every crash once found is kept in test/native/regressions/<target> and replayed first.
// TRUNKLINE_FUZZ_SECONDS sets the time per target (default 20).
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ROOT } from '../helpers/paths.js';
import { tierSkip } from '../helpers/tier.js';
import { clang, execAsync, nativeToolsMissing, SANITIZE } from './clang.js';

const HERE = join(ROOT, 'test', 'native');
const TARGETS: Record<string, string[]> = {
  shim_reply: [join(ROOT, 'src', 'shim', 'wire.c')],
  shim_json: [join(ROOT, 'src', 'shim', 'wire.c')],
  nl_recv: [join(ROOT, 'src', 'kernel', 'netlink', 'nlrecv.c')],
};

function seconds(): number {
  const raw = process.env['TRUNKLINE_FUZZ_SECONDS'] ?? '20';
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > 3600)
    throw new Error(`TRUNKLINE_FUZZ_SECONDS: expected an integer in 1..3600, found ${raw}`);
  return n;
}

const files = (dir: string): string[] => {
  try {
    return readdirSync(dir).map((f) => join(dir, f));
  } catch {
    return [];
  }
};

describe('native: libFuzzer on the shim and netlink parsers', {
  skip: tierSkip('native', nativeToolsMissing()),
}, () => {
  let work: string;
  before(() => {
    work = mkdtempSync(join(tmpdir(), 'native-fuzz-'));
  });
  after(() => rmSync(work, { recursive: true, force: true }));

  for (const [target, sources] of Object.entries(TARGETS)) {
    it(`${target}: the kept crashes pass, then ${seconds()} s of fuzzing find nothing`, {
      timeout: (seconds() + 120) * 1000,
    }, async (t) => {
      const bin = join(work, target);
      await clang([
        ...SANITIZE,
        '-fsanitize=fuzzer,address,undefined',
        '-o',
        bin,
        join(HERE, 'fuzz', `${target}.c`),
        ...sources,
      ]);
      const kept = files(join(HERE, 'regressions', target));
      if (kept.length > 0) await execAsync(bin, kept, { maxBuffer: 16 << 20 });
      const seeds = join(HERE, 'corpus', target);
      assert.ok(files(seeds).length > 0, `no seed corpus in ${seeds}`);
      const found = join(work, `${target}-found`);
      const crashes = join(work, `${target}-crash-`);
      await execAsync('mkdir', ['-p', found]);
      const run = await execAsync(
        bin,
        [
          `-max_total_time=${seconds()}`,
          '-max_len=4096',
          '-timeout=10',
          '-rss_limit_mb=1024',
          '-print_final_stats=1',
          // TRUNKLINE_FUZZ_SEED (CI: from the commit) makes the mutation sequence repeatable.
          ...(process.env['TRUNKLINE_FUZZ_SEED']
            ? [`-seed=${Number(process.env['TRUNKLINE_FUZZ_SEED']) + 1}`]
            : []),
          `-artifact_prefix=${crashes}`,
          found,
          seeds,
        ],
        { maxBuffer: 64 << 20 },
      ).catch((e: { stderr?: string; code?: number }) => {
        const art = files(work).filter((f) => f.startsWith(crashes));
        const b64 = art.map((f) => `${f}: ${readFileSync(f).toString('base64')}`).join('\n');
        throw new Error(
          `${target}: libFuzzer found a failure (exit ${e.code}); keep the input in ` +
            `test/native/regressions/${target}/ and fix the code.\n${b64}\n${(e.stderr ?? '').slice(-6000)}`,
        );
      });
      const runs = Number(/stat::number_of_executed_units: (\d+)/.exec(run.stderr)?.[1] ?? 0);
      const cov = /cov: (\d+) ft: (\d+)/.exec(
        run.stderr
          .split('\n')
          .filter((l) => /cov: /.test(l))
          .at(-1) ?? '',
      );
      t.diagnostic(
        `${target}: ${runs} inputs in ${seconds()} s, ${files(seeds).length} seeds, ${files(found).length} new, ` +
          `cov ${cov?.[1] ?? '?'} edges, ${kept.length} kept crashes replayed`,
      );
      assert.ok(runs > 1000, `${target}: only ${runs} inputs ran`);
    });
  }
});
