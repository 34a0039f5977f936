// Per-request phase timing, off by default (TRUNKLINE_AGENT_TRACE=<file>): where one request's time
// goes inside the agent — waiting for the shim's first byte, reading the frame, waiting for a slot,
// config, cluster source, store, kernel (and per kernel operation), writing the reply — one JSON line
// per request, for bench/agent.ts to aggregate. When off,
// nothing is wrapped: the plugins, the kernel and the stores are the very objects they would be.
// Time is exclusive: a source read inside a loadConf counts as source, not also as config. Calls a
// request makes side by side (a source read beside a store open) each count in full, so phases can
// add up to more than the total; "other" is then 0.
import { AsyncLocalStorage } from 'node:async_hooks';
import { createWriteStream, type WriteStream } from 'node:fs';
import { PerformanceObserver, performance } from 'node:perf_hooks';

export const PHASES = ['wait', 'read', 'queue', 'config', 'source', 'store', 'kernel', 'reply'] as const;
type Phase = (typeof PHASES)[number];

/** One request's timings (ms): per phase, the rest ("other": JS, logging, encoding), GC pauses seen. */
export interface TraceRecord extends Record<Phase, number> {
  type: string;
  command: string;
  ok: boolean;
  total: number;
  other: number;
  gc: number;
  /** Kernel time per operation (method name), summed. */
  kernelOps: Record<string, number>;
}

interface Frame {
  trace: RequestTrace;
  /** Time of phases nested inside this one, taken off its own. */
  nested: number;
}

export class RequestTrace {
  readonly ms: Record<Phase, number> = {
    wait: 0,
    read: 0,
    queue: 0,
    config: 0,
    source: 0,
    store: 0,
    kernel: 0,
    reply: 0,
  };
  readonly kernelOps: Record<string, number> = {};
  readonly start = performance.now();
  readonly gcAtStart: number;
  type = '';
  command = '';
  ok = false;
  constructor(gcNow: number) {
    this.gcAtStart = gcNow;
  }
}

const round = (x: number) => Math.round(x * 1000) / 1000;

export class Tracer {
  private readonly als = new AsyncLocalStorage<Frame>();
  private readonly out: WriteStream;
  private gcTotal = 0;
  private readonly gc = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) this.gcTotal += e.duration;
  });

  constructor(file: string) {
    this.out = createWriteStream(file, { flags: 'a' });
    this.gc.observe({ entryTypes: ['gc'] });
  }

  begin(): RequestTrace {
    return new RequestTrace(this.gcTotal);
  }

  /** Runs fn (the request's serving) with `t` as the trace its phases report to. */
  within<T>(t: RequestTrace, fn: () => T): T {
    return this.als.run({ trace: t, nested: 0 }, fn);
  }

  /** Adds `ms` to `phase` of `t`, by default the current request's. */
  add(phase: Phase, ms: number, t = this.als.getStore()?.trace): void {
    if (t) t.ms[phase] += ms;
  }

  /** Times fn as `phase` (operation `op`) of the current request; outside a request it is just called. */
  timed<T>(phase: Phase, fn: () => T, op?: string): T {
    const parent = this.als.getStore();
    if (parent === undefined) return fn();
    const frame: Frame = { trace: parent.trace, nested: 0 };
    const t0 = performance.now();
    const done = () => {
      const d = performance.now() - t0;
      const own = d - frame.nested;
      frame.trace.ms[phase] += own;
      if (phase === 'kernel' && op !== undefined)
        frame.trace.kernelOps[op] = (frame.trace.kernelOps[op] ?? 0) + own;
      parent.nested += d;
    };
    const r = this.als.run(frame, fn);
    if (r instanceof Promise) return r.finally(done) as T;
    done();
    return r;
  }

  /**
   * `target` with its methods (or only those named) timed as `phase`; the same proxy for the same
   * target, so identity holds across requests.
   */
  wrap<T extends object>(target: T, phase: Phase, only?: readonly string[]): T {
    const cache = this.wrapped(phase);
    const known = cache.get(target);
    if (known) return known as T;
    const proxy = new Proxy(target, {
      get: (t, prop) => {
        const v = Reflect.get(t, prop, t) as unknown;
        if (typeof v !== 'function' || prop === 'constructor') return v;
        if (only && !only.includes(String(prop))) return v.bind(t);
        return (...args: unknown[]) => this.timed(phase, () => Reflect.apply(v, t, args), String(prop));
      },
    });
    cache.set(target, proxy);
    return proxy;
  }

  private readonly caches = new Map<Phase, WeakMap<object, object>>();
  private wrapped(phase: Phase): WeakMap<object, object> {
    let c = this.caches.get(phase);
    if (!c) {
      c = new WeakMap();
      this.caches.set(phase, c);
    }
    return c;
  }

  /** Closes the request's record and writes it. */
  end(t: RequestTrace): TraceRecord {
    const total = performance.now() - t.start;
    const spent = PHASES.reduce((a, p) => a + t.ms[p], 0);
    const rec: TraceRecord = {
      type: t.type,
      command: t.command,
      ok: t.ok,
      total: round(total),
      ...(Object.fromEntries(PHASES.map((p) => [p, round(t.ms[p])])) as Record<Phase, number>),
      other: round(Math.max(0, total - spent)),
      gc: round(this.gcTotal - t.gcAtStart),
      kernelOps: Object.fromEntries(Object.entries(t.kernelOps).map(([k, v]) => [k, round(v)])),
    };
    this.out.write(`${JSON.stringify(rec)}\n`);
    return rec;
  }

  close(): Promise<void> {
    this.gc.disconnect();
    return new Promise((resolve) => this.out.end(resolve));
  }
}

/** The tracer TRUNKLINE_AGENT_TRACE asks for, or none. */
export function tracerFromEnv(env: Record<string, string | undefined> = process.env): Tracer | undefined {
  const file = env['TRUNKLINE_AGENT_TRACE'];
  return file ? new Tracer(file) : undefined;
}
