// IP-conflict and gateway probes (ARP for IPv4, NDP for IPv6) sent from inside the pod namespace.
// Node cannot open packet sockets, so the probes are iputils `arping` and `ndisc6` (Debian packages
// iputils-arping and ndisc6), run with argv arrays. arping only takes whole seconds, so each probe is
// one arping cut short by SIGINT after the timeout; it then prints its summary and exits.
import { spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { CniError, Code, causedBy } from '../../cni/errors.js';
import type { DetectOptions } from './types.js';

interface ProbeRun {
  code: number;
  stdout: string;
}

const DIRS = ['/usr/sbin', '/usr/bin', '/sbin', '/bin'];

/** Absolute path of a tool, or undefined: runtimes often call plugins with a PATH lacking /usr/sbin. */
function findTool(name: string): string | undefined {
  for (const d of DIRS) {
    try {
      accessSync(`${d}/${name}`, constants.X_OK);
      return `${d}/${name}`;
    } catch {}
  }
  return undefined;
}

function tool(name: string, pkg: string): string {
  const p = findTool(name);
  if (!p) {
    throw new CniError(Code.NotAvailable, `${name} is not installed`, `install the Debian package ${pkg}`);
  }
  return p;
}

/** Runs argv inside ns; after `cutMs` the process gets SIGINT (arping then reports and exits). */
function runIn(ns: string, argv: string[], cutMs: number): Promise<ProbeRun> {
  const nsenter = tool('nsenter', 'util-linux');
  return new Promise((resolve, reject) => {
    const child = spawn(nsenter, [`--net=${ns}`, '--', ...argv], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, LC_ALL: 'C' },
    });
    let stdout = '';
    child.stdout.on('data', (b: Buffer) => {
      stdout += b.toString();
    });
    child.stderr.on('data', () => {});
    const timer = setTimeout(() => child.kill('SIGINT'), cutMs);
    const hard = setTimeout(() => child.kill('SIGKILL'), cutMs + 2000);
    child.on('error', (e) => {
      clearTimeout(timer);
      clearTimeout(hard);
      reject(causedBy(Code.Internal, `cannot run ${argv[0]}`, e));
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      clearTimeout(hard);
      resolve({ code: code ?? 1, stdout });
    });
  });
}

const ARP_REPLY = /reply from \S+ \[([0-9A-Fa-f:]{17})\]/g;
const MAC_LINE = /^([0-9A-Fa-f]{2}(?::[0-9A-Fa-f]{2}){5})$/gm;
const macs = (text: string, re: RegExp): string[] => [...text.matchAll(re)].map((m) => m[1]!.toLowerCase());
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface Prober {
  /** MACs (other than `ownMac`) answering for `ip` on `ifname`; empty = no conflict. */
  conflicts(ns: string, ifname: string, ip: string, ownMac: string, o: DetectOptions): Promise<string[]>;
  /** Whether `gw` answers ARP/NDP on `ifname` (from source `src`). */
  reachable(ns: string, ifname: string, gw: string, src: string, o: DetectOptions): Promise<boolean>;
  /** Whether the tools the probes need are installed (STATUS). */
  available(): boolean;
}

export const toolProber: Prober = {
  async conflicts(ns, ifname, ip, ownMac, o) {
    const own = ownMac.toLowerCase();
    for (let i = 0; i < o.retries; i++) {
      if (i > 0) await sleep(o.intervalMs);
      const found = ip.includes(':')
        ? macs(
            (
              await runIn(
                ns,
                [
                  tool('ndisc6', 'ndisc6'),
                  '-q',
                  '-m',
                  '-n',
                  '-r',
                  '1',
                  '-w',
                  String(Math.ceil(o.timeoutMs)),
                  ip,
                  ifname,
                ],
                o.timeoutMs + 1000,
              )
            ).stdout,
            MAC_LINE,
          )
        : // DAD mode: probes from 0.0.0.0, so only another holder of the address answers.
          macs(
            (
              await runIn(
                ns,
                [tool('arping', 'iputils-arping'), '-D', '-c', '1', '-w', '1', '-I', ifname, ip],
                o.timeoutMs,
              )
            ).stdout,
            ARP_REPLY,
          );
      const others = [...new Set(found.filter((m) => m !== own))];
      if (others.length > 0) return others;
    }
    return [];
  },

  async reachable(ns, ifname, gw, src, o) {
    for (let i = 0; i < o.retries; i++) {
      if (i > 0) await sleep(o.intervalMs);
      const r = gw.includes(':')
        ? await runIn(
            ns,
            [
              tool('ndisc6', 'ndisc6'),
              '-q',
              '-1',
              '-n',
              '-r',
              '1',
              '-w',
              String(Math.ceil(o.timeoutMs)),
              gw,
              ifname,
            ],
            o.timeoutMs + 1000,
          )
        : await runIn(
            ns,
            [tool('arping', 'iputils-arping'), '-f', '-c', '1', '-w', '1', '-I', ifname, '-s', src, gw],
            o.timeoutMs,
          );
      if (macs(r.stdout, gw.includes(':') ? MAC_LINE : ARP_REPLY).length > 0) return true;
    }
    return false;
  },

  available: () => findTool('arping') !== undefined && findTool('ndisc6') !== undefined,
};
