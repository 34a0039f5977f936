// Kernel.batch on iproute2: consecutive ip operations become one `ip -batch -` process (stdin lines),
// consecutive sysctl writes one `sysctl -w` process, in the order given.
import { familyOf } from '../../net/ip.js';
import type { BatchOp, NetnsRef } from '../types.js';
import { addrArgs, linkSetArgs, neighArgs, routeArgs, routeWhat, ruleArgs, ruleWhat } from './args.js';
import { classify } from './classify.js';
import { ipArgv, netnsPath } from './netns.js';
import { run } from './run.js';
import { sysctlSetMany } from './sysctl.js';

interface Line {
  args: string[];
  what: string;
  link?: string;
  /** ip rule takes its family from -4/-6 only; other lines carry it in their addresses. */
  v6: 'need' | 'forbid' | 'any';
}

type Segment =
  | { kind: 'ip'; mode: 'need' | 'forbid' | undefined; alone: boolean; lines: Line[] }
  | { kind: 'sysctl'; pairs: [string, string][] };

// ip's batch reader splits on whitespace and honours quotes, backslashes and '#' comments; a line with
// any other character runs as its own argv spawn instead.
const SAFE = /^[\w.:/@%+,=-]+$/;

function toLine(op: Exclude<BatchOp, { op: 'sysctl' }>): Line {
  const fam = (f: 4 | 6) => (f === 6 ? 'any' : 'forbid') as Line['v6'];
  switch (op.op) {
    case 'addAddr':
      return {
        args: addrArgs('add', op.ifname, op.cidr, op.noDad),
        what: `address ${op.cidr} on ${op.ifname}`,
        link: op.ifname,
        v6: fam(familyOf(op.cidr)),
      };
    case 'delAddr':
      return {
        args: addrArgs('del', op.ifname, op.cidr),
        what: `address ${op.cidr} on ${op.ifname}`,
        link: op.ifname,
        v6: fam(familyOf(op.cidr)),
      };
    case 'setLink': {
      const target = op.change.netns !== undefined ? netnsPath(op.change.netns) : undefined;
      return {
        args: linkSetArgs(op.name, op.change, target),
        what: `link ${op.name}`,
        link: op.name,
        v6: 'any',
      };
    }
    case 'addRoute':
    case 'replaceRoute':
    case 'delRoute': {
      const verb =
        op.op === 'addRoute' ? (op.append ? 'append' : 'add') : op.op === 'replaceRoute' ? 'replace' : 'del';
      return {
        args: routeArgs(verb, op.route),
        what: routeWhat(op.route),
        link: op.route.dev ?? '',
        v6: fam(op.route.family),
      };
    }
    case 'addRule':
    case 'delRule':
      return {
        args: ruleArgs(op.op === 'addRule' ? 'add' : 'del', op.rule),
        what: ruleWhat(op.rule),
        v6: op.rule.family === 6 ? 'need' : 'forbid',
      };
    case 'setNeighbour':
      return {
        args: neighArgs(op.n),
        what: `neighbour ${op.n.ip} on ${op.n.dev}`,
        link: op.n.dev,
        v6: fam(op.n.family),
      };
  }
}

export function plan(ops: readonly BatchOp[]): Segment[] {
  const segs: Segment[] = [];
  for (const op of ops) {
    const last = segs.at(-1);
    if (op.op === 'sysctl') {
      if (last?.kind === 'sysctl') last.pairs.push([op.key, op.value]);
      else segs.push({ kind: 'sysctl', pairs: [[op.key, op.value]] });
      continue;
    }
    const line = toLine(op);
    const alone = !line.args.every((a) => SAFE.test(a));
    const joins =
      last?.kind === 'ip' &&
      !last.alone &&
      !alone &&
      (line.v6 === 'any' || last.mode === undefined || last.mode === line.v6);
    if (joins && last?.kind === 'ip') {
      last.lines.push(line);
      if (line.v6 !== 'any') last.mode = line.v6;
    } else {
      segs.push({ kind: 'ip', mode: line.v6 === 'any' ? undefined : line.v6, alone, lines: [line] });
    }
  }
  return segs;
}

export async function runBatch(ns: NetnsRef, ops: readonly BatchOp[]): Promise<void> {
  for (const seg of plan(ops)) {
    if (seg.kind === 'sysctl') {
      await sysctlSetMany(ns, seg.pairs);
      continue;
    }
    const flag = seg.mode === 'need' ? ['-6'] : [];
    const only = seg.lines.length === 1 ? seg.lines[0] : undefined;
    const argv = ipArgv(ns, only ? [...flag, ...only.args] : [...flag, '-batch', '-']);
    const r = only
      ? await run(argv)
      : await run(argv, { stdin: `${seg.lines.map((l) => l.args.join(' ')).join('\n')}\n` });
    if (r.code === 0) continue;
    // "Command failed -:N" names the failing line (1-based).
    const n = Number(/Command failed -:(\d+)/.exec(r.stderr)?.[1] ?? 1);
    const line = seg.lines[n - 1] ?? seg.lines[0]!;
    const stderr = r.stderr.replace(/Command failed -:\d+\s*/, '');
    throw classify(stderr, {
      ns,
      argv: ipArgv(ns, [...flag, ...line.args]),
      what: line.what,
      ...(line.link !== undefined ? { link: line.link } : {}),
    });
  }
}
