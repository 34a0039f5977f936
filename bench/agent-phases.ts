// Section 4 of bench/agent.ts: where one request's time goes. The agent's own split comes from its
// phase trace (TRUNKLINE_AGENT_TRACE, one JSON line per request, src/agent/trace.ts); the harness adds
// what the agent cannot see — the runtime's exec of the shim and the socket round trip — and the
// floor, the same kernel operations run alone.
import { readFileSync } from 'node:fs';
import { PHASES, type TraceRecord } from '../src/agent/trace.js';
import { fmt, percentile } from './lib.js';

export function readTrace(file: string): TraceRecord[] {
  let text = '';
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return [];
  }
  return text
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as TraceRecord);
}

/** The slowest 1 % (at least one) of `xs` by `key`: what the tail requests spent their time on. */
function tail<T>(xs: T[], key: (x: T) => number): T[] {
  const n = Math.max(1, Math.ceil(xs.length / 100));
  return [...xs].sort((a, b) => key(b) - key(a)).slice(0, n);
}

const mean = (xs: number[]) => (xs.length === 0 ? Number.NaN : xs.reduce((a, b) => a + b, 0) / xs.length);

export interface Outside {
  /** The harness's wall time per call of this command (shim exec + socket + agent). */
  client: number[];
  /** The runtime's exec of the shim alone (it answers VERSION itself). */
  shimExec: number[];
  /** The kernel operations of this command alone. */
  floor: number[];
}

/**
 * One table per command: p50 and p99 of each phase over the requests, and the mean of each phase over
 * the slowest 1 % of requests (by the agent's total), so a tail has a cause. Phase p99s do not add up.
 */
export function phaseTable(lines: TraceRecord[], command: string, outside: Outside): string[] {
  const rs = lines.filter((l) => l.command === command && l.ok);
  if (rs.length === 0) return [`  ${command}: no traced requests`];
  const slow = tail(rs, (r) => r.total);
  const out = [
    `  ${command}, ${rs.length} requests (ms)          p50       p99   slowest 1 % (mean of ${slow.length})`,
  ];
  const cell = (x: number | undefined, w: number) => (x === undefined ? '' : fmt(x)).padStart(w);
  const line = (label: string, xs: number[], tailMean?: number, p99 = true) =>
    out.push(
      `    ${label.padEnd(30)}${cell(percentile(xs, 50), 7)}${cell(p99 ? percentile(xs, 99) : undefined, 10)}${cell(tailMean, 12)}`,
    );
  const agentP50 = percentile(
    rs.map((r) => r.total),
    50,
  );
  const socket = percentile(outside.client, 50) - percentile(outside.shimExec, 50) - agentP50;
  line('runtime exec of the shim', outside.shimExec);
  line('socket (client − shim − agent)', [socket], undefined, false);
  for (const p of PHASES) {
    line(
      p,
      rs.map((r) => r[p]),
      mean(slow.map((r) => r[p])),
    );
    if (p !== 'kernel') continue;
    const ops = [...new Set(rs.flatMap((r) => Object.keys(r.kernelOps)))];
    const of = (r: TraceRecord, op: string) => r.kernelOps[op] ?? 0;
    ops.sort((a, b) => mean(rs.map((r) => of(r, b))) - mean(rs.map((r) => of(r, a))));
    for (const op of ops) {
      line(
        `  ${op}`,
        rs.map((r) => of(r, op)),
        mean(slow.map((r) => of(r, op))),
      );
    }
  }
  line(
    'other (JS, encoding, logging)',
    rs.map((r) => r.other),
    mean(slow.map((r) => r.other)),
  );
  line(
    '  GC pauses during the request',
    rs.map((r) => r.gc),
    mean(slow.map((r) => r.gc)),
  );
  line(
    'agent total',
    rs.map((r) => r.total),
    mean(slow.map((r) => r.total)),
  );
  line('client wall (harness)', outside.client);
  line('floor: kernel operations alone', outside.floor);
  return out;
}
