// Names the privilege a command lacks before it fails with EACCES or "link not found" halfway.
import { accessSync, constants, existsSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';

const CAP_NET_ADMIN = 12;

function hasNetAdmin(): boolean {
  try {
    const m = /^CapEff:\s*([0-9a-f]+)$/m.exec(readFileSync('/proc/self/status', 'utf8'));
    return m !== null && (BigInt(`0x${m[1]}`) & (1n << BigInt(CAP_NET_ADMIN))) !== 0n;
  } catch {
    return process.getuid?.() === 0; // no /proc: fall back to the user id
  }
}

/** The nearest existing directory of `path` (itself when it exists). */
function existing(path: string): string {
  let p = path;
  while (!existsSync(p) && dirname(p) !== p) p = dirname(p);
  return p;
}

/**
 * What is missing for a command that changes network devices (`netAdmin`) and writes `paths`, as one
 * message naming it; undefined when nothing is missing.
 */
export function missingPrivilege(opts: {
  netAdmin?: boolean;
  writes?: readonly string[];
}): string | undefined {
  const problems: string[] = [];
  if (opts.netAdmin === true && !hasNetAdmin())
    problems.push('CAP_NET_ADMIN to change network devices (run as root)');
  for (const path of opts.writes ?? []) {
    const at = existing(path);
    try {
      accessSync(at, constants.W_OK);
    } catch {
      problems.push(`write access to ${at}${at === path ? '' : ` (to create ${path})`}`);
    }
  }
  return problems.length > 0 ? `needs ${problems.join(' and ')}` : undefined;
}
