// The controller's Prometheus counters and gauges (text exposition format 0.0.4). Few and unlabeled
// but for one label, so a map is all it takes.

type Kind = 'counter' | 'gauge';

export class Metrics {
  private readonly families = new Map<string, { help: string; kind: Kind; values: Map<string, number> }>();

  define(name: string, kind: Kind, help: string): void {
    this.families.set(name, { help, kind, values: new Map() });
  }

  add(name: string, by = 1, label?: [string, string]): void {
    const f = this.family(name);
    const k = labelKey(label);
    f.values.set(k, (f.values.get(k) ?? 0) + by);
  }

  set(name: string, v: number, label?: [string, string]): void {
    this.family(name).values.set(labelKey(label), v);
  }

  get(name: string, label?: [string, string]): number {
    return this.family(name).values.get(labelKey(label)) ?? 0;
  }

  render(): string {
    const out: string[] = [];
    for (const [name, f] of this.families) {
      out.push(`# HELP ${name} ${f.help}`, `# TYPE ${name} ${f.kind}`);
      if (f.values.size === 0) out.push(`${name} 0`);
      for (const [k, v] of f.values) out.push(`${name}${k} ${v}`);
    }
    return `${out.join('\n')}\n`;
  }

  private family(name: string) {
    const f = this.families.get(name);
    if (f === undefined) throw new Error(`metric ${name} is not defined`);
    return f;
  }
}

const labelKey = (l: [string, string] | undefined) =>
  l === undefined
    ? ''
    : `{${l[0]}="${l[1].replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"}`;
