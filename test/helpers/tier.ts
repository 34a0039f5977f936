// No silent skipping: a test tier that needs a tool (qemu, podman, etcd, containerd, Chromium, the
// netlink addon, kubectl, clang) runs when the tool is there and fails when it is not — in CI always, and
// locally unless the tier is named in TRUNKLINE_SKIP_TIERS (a comma list, or "all"), an opt-out CI
// never sets. Every skip is appended to TRUNKLINE_SKIP_REPORT (scripts/test.sh prints the list last).
import { appendFileSync } from 'node:fs';
import { it } from 'node:test';

const inCi = (): boolean => {
  const ci = process.env['CI'];
  return ci !== undefined && ci !== '' && ci !== 'false' && ci !== '0';
};

function optedOut(tier: string): boolean {
  const list = (process.env['TRUNKLINE_SKIP_TIERS'] ?? '').split(',').map((s) => s.trim());
  // TRUNKLINE_SKIP_VM=1 is the VM tier's older spelling of the same opt-out.
  if (tier === 'vm' && process.env['TRUNKLINE_SKIP_VM'] === '1') return true;
  return list.includes('all') || list.includes(tier);
}

function report(tier: string, why: string): void {
  const file = process.env['TRUNKLINE_SKIP_REPORT'];
  if (file) appendFileSync(file, `${tier}: ${why}\n`);
}

/**
 * The `skip` option for a tier's describe(): false when `missing` is undefined. Otherwise a skip only
 * when opted out (and not in CI); else a failing test that says what to install, and the tier skipped.
 */
export function tierSkip(tier: string, missing: string | undefined): string | false {
  if (missing === undefined) return false;
  if (!inCi() && optedOut(tier)) {
    report(tier, missing);
    return `${missing} (TRUNKLINE_SKIP_TIERS)`;
  }
  it(`tier "${tier}" has what it needs`, () => {
    throw new Error(
      `${missing}: run scripts/setup.sh${inCi() ? '' : `, or skip this tier locally with TRUNKLINE_SKIP_TIERS=${tier}`}`,
    );
  });
  return missing;
}

/** Inside a running test, for a tool only it needs (e.g. Chromium): skip when opted out, else throw. */
export function requireTool(tier: string, missing: string, skip: (why: string) => void): void {
  if (!inCi() && optedOut(tier)) {
    report(tier, missing);
    skip(`${missing} (TRUNKLINE_SKIP_TIERS)`);
    return;
  }
  throw new Error(`${missing}: run scripts/setup.sh, or skip locally with TRUNKLINE_SKIP_TIERS=${tier}`);
}

/** The VM tiers inside the VM itself are not run (nothing is missing); elsewhere, tierSkip. */
export function inVmOr(tier: string, missing: string | undefined): string | false {
  return process.env['TRUNKLINE_IN_VM'] === '1' ? 'already inside the test VM' : tierSkip(tier, missing);
}
