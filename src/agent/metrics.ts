// A small Prometheus registry (text exposition format 0.0.4): counters, gauges and histograms with
// labels, plus collectors that produce samples when scraped (pool utilization, process memory).

type Labels = Record<string, string>;

interface Sample {
  labels?: Labels;
  value: number;
}
export interface CollectedFamily {
  name: string;
  help: string;
  type: 'gauge' | 'counter';
  samples: Sample[];
}
export type Collector = () => CollectedFamily[] | Promise<CollectedFamily[]>;

const escapeLabel = (v: string): string =>
  v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');

function labelText(labels: Labels | undefined, extra?: [string, string]): string {
  const pairs = Object.entries(labels ?? {});
  if (extra) pairs.push(extra);
  if (pairs.length === 0) return '';
  return `{${pairs.map(([k, v]) => `${k}="${escapeLabel(v)}"`).join(',')}}`;
}

const keyOf = (labels: Labels): string => JSON.stringify(Object.entries(labels).sort());

const num = (v: number): string => (Number.isFinite(v) ? String(v) : v > 0 ? '+Inf' : v < 0 ? '-Inf' : 'NaN');

class Family {
  readonly series = new Map<string, { labels: Labels; value: number }>();
  constructor(
    readonly name: string,
    readonly help: string,
    readonly type: 'counter' | 'gauge',
  ) {}

  add(labels: Labels, by: number): void {
    const k = keyOf(labels);
    const s = this.series.get(k);
    if (s) s.value += by;
    else this.series.set(k, { labels, value: by });
  }
  set(labels: Labels, v: number): void {
    this.series.set(keyOf(labels), { labels, value: v });
  }
  get(labels: Labels): number {
    return this.series.get(keyOf(labels))?.value ?? 0;
  }
  render(): string {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} ${this.type}`];
    for (const s of this.series.values()) lines.push(`${this.name}${labelText(s.labels)} ${num(s.value)}`);
    return lines.join('\n');
  }
}

class Histogram {
  private readonly series = new Map<string, { labels: Labels; counts: number[]; sum: number; n: number }>();
  constructor(
    readonly name: string,
    readonly help: string,
    readonly buckets: readonly number[],
  ) {}

  observe(labels: Labels, v: number): void {
    const k = keyOf(labels);
    let s = this.series.get(k);
    if (!s) {
      s = { labels, counts: this.buckets.map(() => 0), sum: 0, n: 0 };
      this.series.set(k, s);
    }
    for (let i = 0; i < this.buckets.length; i++) if (v <= this.buckets[i]!) s.counts[i]!++;
    s.sum += v;
    s.n++;
  }
  render(): string {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} histogram`];
    for (const s of this.series.values()) {
      this.buckets.forEach((b, i) => {
        lines.push(`${this.name}_bucket${labelText(s.labels, ['le', String(b)])} ${s.counts[i]}`);
      });
      lines.push(`${this.name}_bucket${labelText(s.labels, ['le', '+Inf'])} ${s.n}`);
      lines.push(`${this.name}_sum${labelText(s.labels)} ${s.sum}`);
      lines.push(`${this.name}_count${labelText(s.labels)} ${s.n}`);
    }
    return lines.join('\n');
  }
}

const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

/** The agent's metrics. Names follow Prometheus conventions (base units, _total for counters). */
export class AgentMetrics {
  readonly requests = new Family(
    'trunkline_agent_requests_total',
    'CNI requests served, by plugin type, command and result (ok|error).',
    'counter',
  );
  readonly errors = new Family(
    'trunkline_agent_errors_total',
    'CNI requests that returned an error, by command and CNI error code.',
    'counter',
  );
  readonly fallbacks = new Family(
    'trunkline_agent_fallbacks_total',
    'Requests sent back to the shim to run the bundled plugin itself, by reason.',
    'counter',
  );
  readonly rejected = new Family(
    'trunkline_agent_busy_total',
    'Connections answered "busy" because the queue was full (the shim retries).',
    'counter',
  );
  readonly protocolErrors = new Family(
    'trunkline_agent_protocol_errors_total',
    'Connections closed for a malformed request.',
    'counter',
  );
  readonly inFlight = new Family('trunkline_agent_in_flight', 'Requests being served now.', 'gauge');
  readonly queued = new Family(
    'trunkline_agent_queued',
    'Connections waiting for a slot (the connection limit).',
    'gauge',
  );
  readonly latency = new Histogram(
    'trunkline_agent_request_duration_seconds',
    'Time to serve a CNI request inside the agent, by command.',
    LATENCY_BUCKETS,
  );
  private readonly collectors: Collector[] = [];

  addCollector(c: Collector): void {
    this.collectors.push(c);
  }

  async render(): Promise<string> {
    const parts = [
      this.requests,
      this.errors,
      this.fallbacks,
      this.rejected,
      this.protocolErrors,
      this.inFlight,
      this.queued,
      this.latency,
    ].map((f) => f.render());
    for (const c of this.collectors) {
      try {
        for (const f of await c()) {
          const lines = [`# HELP ${f.name} ${f.help}`, `# TYPE ${f.name} ${f.type}`];
          for (const s of f.samples) lines.push(`${f.name}${labelText(s.labels)} ${num(s.value)}`);
          parts.push(lines.join('\n'));
        }
      } catch {
        // A failing collector must not take the whole scrape down.
      }
    }
    return `${parts.join('\n')}\n`;
  }
}

/** Process memory and uptime, as every daemon exposes them. */
export const processCollector: Collector = () => {
  const m = process.memoryUsage();
  return [
    {
      name: 'process_resident_memory_bytes',
      help: 'Resident set size in bytes.',
      type: 'gauge',
      samples: [{ value: m.rss }],
    },
    {
      name: 'nodejs_heap_used_bytes',
      help: 'V8 heap in use, in bytes.',
      type: 'gauge',
      samples: [{ value: m.heapUsed }],
    },
    {
      name: 'process_uptime_seconds',
      help: 'Seconds since the agent started.',
      type: 'gauge',
      samples: [{ value: process.uptime() }],
    },
  ];
};
