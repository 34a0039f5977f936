import { Exists, KernelError, LinkNotFound, NetnsNotFound, NotFound } from '../errors.js';
import type { NetnsRef } from '../types.js';

export interface ErrorContext {
  ns: NetnsRef;
  argv: readonly string[];
  /** What the command was about, for Exists/NotFound messages ("link tk0", "route 10.0.0.0/8 table 100"). */
  what: string;
  /** Link name to report when the tool does not quote one. */
  link?: string;
  /** A namespace the command names besides ns (ip link … netns PATH). */
  target?: string;
}

// iproute2 6.1 / util-linux 2.38 wording (children run with LC_ALL=C). Order matters: namespace
// failures also say "No such file or directory".
const NETNS = [
  /Cannot open network namespace/,
  /nsenter: cannot open/,
  /reassociate to namespace .* failed/,
  /setting the network namespace .* failed/,
];
const TARGET_NETNS = /Invalid "netns" value/;
const LINK = [
  /Cannot find device "([^"]*)"/,
  /Device "([^"]*)" does not exist/,
  /argument "([^"]*)" is wrong: Device does not exist/,
  /No such device/,
];
const EXISTS = [/File exists/, /already assigned/i, /already exists/i];
// Kernels without extack (Debian's 6.1) report a missing address as a bare EADDRNOTAVAIL.
const NOT_FOUND = [
  /address not found/i,
  /Cannot assign requested address/,
  /No such process/,
  /No such file or directory/,
  /cannot stat/,
];

/** Map a failed command's stderr to the typed error callers branch on. */
export function classify(stderr: string, ctx: ErrorContext): KernelError {
  const text = stderr.trim();
  if (NETNS.some((re) => re.test(text))) return new NetnsNotFound(ctx.ns ?? 'current', ctx.argv, text);
  if (TARGET_NETNS.test(text)) return new NetnsNotFound(ctx.target ?? ctx.ns ?? 'current', ctx.argv, text);
  for (const re of LINK) {
    const m = re.exec(text);
    if (m) return new LinkNotFound(m[1] ?? ctx.link ?? ctx.what, ctx.ns, ctx.argv, text);
  }
  if (EXISTS.some((re) => re.test(text))) return new Exists(ctx.what, ctx.argv, text);
  if (NOT_FOUND.some((re) => re.test(text))) {
    return new NotFound(`${ctx.what} not found in ${ctx.ns ?? 'the current namespace'}`, ctx.argv, text);
  }
  return new KernelError(`${ctx.what}: ${text || 'failed'} (${ctx.argv.join(' ')})`, ctx.argv, text);
}
