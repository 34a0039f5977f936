import { Exists, KernelError, LinkNotFound, NetnsNotFound, NotFound } from '../errors.js';
import type { NetnsRef } from '../types.js';

interface ErrorContext {
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

// glibc's strerror text (LC_ALL=C) → errno name, for the errors iproute2 reports as "RTNETLINK answers: …".
const STRERROR: ReadonlyArray<readonly [RegExp, string]> = [
  [/Operation not permitted/, 'EPERM'],
  [/No such file or directory/, 'ENOENT'],
  [/No such process/, 'ESRCH'],
  [/Permission denied/, 'EACCES'],
  [/Device or resource busy/, 'EBUSY'],
  [/File exists/, 'EEXIST'],
  [/No such device/, 'ENODEV'],
  [/Invalid argument/, 'EINVAL'],
  [/Numerical result out of range/, 'ERANGE'],
  [/Operation not supported/, 'EOPNOTSUPP'],
  [/Address family not supported/, 'EAFNOSUPPORT'],
  [/Cannot assign requested address/, 'EADDRNOTAVAIL'],
  [/Network is unreachable/, 'ENETUNREACH'],
  [/No buffer space available/, 'ENOBUFS'],
  [/Resource temporarily unavailable/, 'EAGAIN'],
];

/** The errno a tool's message names through its strerror text, when it names one. */
export function errnoOfText(text: string): string | undefined {
  return STRERROR.find(([re]) => re.test(text))?.[1];
}

/** Map a failed command's stderr to the typed error callers branch on. */
export function classify(stderr: string, ctx: ErrorContext): KernelError {
  const text = stderr.trim();
  const facts = { argv: ctx.argv, stderr: text, errno: errnoOfText(text) };
  if (NETNS.some((re) => re.test(text))) return new NetnsNotFound(ctx.ns ?? 'current', facts);
  if (TARGET_NETNS.test(text)) return new NetnsNotFound(ctx.target ?? ctx.ns ?? 'current', facts);
  for (const re of LINK) {
    const m = re.exec(text);
    if (m) return new LinkNotFound(m[1] ?? ctx.link ?? ctx.what, ctx.ns, facts);
  }
  if (EXISTS.some((re) => re.test(text))) return new Exists(ctx.what, facts);
  if (NOT_FOUND.some((re) => re.test(text))) {
    return new NotFound(`${ctx.what} not found in ${ctx.ns ?? 'the current namespace'}`, facts);
  }
  return new KernelError(`${ctx.what}: ${text || 'failed'} (${ctx.argv.join(' ')})`, facts);
}
