// The two things the lab needs that the Kernel interface does not offer (yet): per-port VLAN
// membership on a vlan_filtering bridge (`bridge vlan add`) and ping between namespaces. Both go
// through the kernel layer's argv runner (never a shell); move them into src/kernel when a plugin
// needs them.

import { KernelError } from '../kernel/errors.js';
import { errnoOfText } from '../kernel/iproute2/classify.js';
import { run, tool } from '../kernel/iproute2/run.js';

const inNs = (netns: string, argv: string[]): string[] => [tool('nsenter'), `--net=${netns}`, ...argv];

/** Tagged membership of `dev` in VLAN `vid`; `self` for the bridge device itself. */
export async function bridgeVlanAdd(
  netns: string,
  dev: string,
  vid: number,
  opts: { self?: boolean } = {},
): Promise<void> {
  const argv = inNs(netns, [
    tool('bridge'),
    'vlan',
    'add',
    'dev',
    dev,
    'vid',
    String(vid),
    ...(opts.self ? ['self'] : []),
  ]);
  const r = await run(argv);
  if (r.code !== 0)
    throw new KernelError(`bridge vlan add dev ${dev} vid ${vid}: ${r.stderr.trim()}`, {
      argv,
      stderr: r.stderr.trim(),
      errno: errnoOfText(r.stderr),
    });
}

interface PingResult {
  ok: boolean;
  ms?: number;
}

/**
 * Echo requests every 200 ms from `netns` to `ip` until one is answered or `deadlineS` passes (so a
 * first request lost to ARP resolution does not count as unreachable).
 */
export async function ping(netns: string, ip: string, deadlineS = 2): Promise<PingResult> {
  const r = await run(inNs(netns, [tool('ping'), '-n', '-c', '1', '-i', '0.2', '-w', String(deadlineS), ip]));
  if (r.code !== 0) return { ok: false };
  const m = /time[=<]([\d.]+) ?ms/.exec(r.stdout);
  return m ? { ok: true, ms: Number(m[1]) } : { ok: true };
}
