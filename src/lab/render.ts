// The text report of `lab up`: connectivity matrix, pool utilization, each pod's interfaces,
// addresses and network-status. The variant and kernel head every section that could be mistaken
// for the real thing.
import type { LabReport, MatrixCell } from './types.js';

const short = (id: string) => (id.startsWith('default/') ? id.slice(8) : id);
const pad = (s: string, n: number) => s + ' '.repeat(Math.max(0, n - [...s].length));

function cellText(c: MatrixCell | undefined): string {
  if (c === undefined) return '—';
  const mark = c.ok ? '✓' : '✗';
  const t = c.ok && c.ms !== undefined ? ` ${c.ms < 10 ? c.ms.toFixed(2) : c.ms.toFixed(1)}ms` : '';
  const flag = c.expected !== undefined && c.expected !== c.ok ? ' !' : '';
  return `${mark}${t}${flag}`;
}

function renderMatrix(r: LabReport): string[] {
  const ids = r.pods.map((p) => `${p.namespace}/${p.name}`);
  const w = Math.max(8, ...ids.map((i) => short(i).length)) + 2;
  const cw = Math.max(12, ...ids.map((i) => short(i).length + 2));
  const out = [
    `Connectivity — ${r.run.label}, ${r.run.kernel}`,
    '  row pings column (its first macvlan address); ✓ answered (latency), ✗ no answer, ! differs from the scenario',
    `  ${pad('', w)}${ids.map((i) => pad(short(i), cw)).join('')}`,
  ];
  for (const from of ids) {
    const row = ids.map((to) =>
      pad(from === to ? '—' : cellText(r.matrix.find((c) => c.from === from && c.to === to)), cw),
    );
    out.push(`  ${pad(short(from), w)}${row.join('')}`);
  }
  for (const c of r.matrix.filter((x) => x.to.includes('@')))
    out.push(`  ${short(c.from)} → ${short(c.to)} (${c.target}): ${cellText(c)}`);
  const declared = r.matrix.filter((c) => c.expected !== undefined);
  out.push(
    r.mismatches.length === 0
      ? `  all ${declared.length} declared pairs behave as the scenario says`
      : `  ${r.mismatches.length} of ${declared.length} declared pairs differ: ${r.mismatches.map((c) => `${short(c.from)} → ${short(c.to)} expected ${c.expected ? 'reachable' : 'unreachable'}, was ${c.ok ? 'reachable' : 'unreachable'}`).join('; ')}`,
  );
  return out;
}

function renderPools(r: LabReport): string[] {
  const out = ['Pool utilization'];
  for (const p of r.pools) {
    const n = 20;
    const filled = p.usable > 0 ? Math.min(n, Math.ceil((p.allocated / p.usable) * n)) : 0;
    const bar = `${'█'.repeat(filled)}${'░'.repeat(n - filled)}`;
    out.push(
      `  ${pad(p.name, 12)} ${pad(p.subnet, 16)} ${pad(p.vlan !== undefined ? `VLAN ${p.vlan}` : '', 9)} ${bar} ${p.allocated}/${p.usable}`,
    );
    for (const h of p.holders) out.push(`      ${pad(h.ip, 16)} ${short(h.pod)} ${h.ifname}`);
  }
  return out;
}

function renderPods(r: LabReport): string[] {
  const out = ['Pods'];
  for (const p of r.pods) {
    out.push(`  ${p.namespace}/${p.name} on ${p.node} (netns ${p.netns})`);
    for (const i of p.ifaces) {
      const extra = [
        i.vlan !== undefined ? `VLAN ${i.vlan}` : '',
        i.network ?? '',
        i.pools ? `pool ${Object.keys(i.pools).join(', ')}` : '',
      ].filter((x) => x !== '');
      out.push(
        `    ${pad(i.name, 7)} ${pad(i.kind, 8)} ${pad(i.addrs.join(', ') || '-', 18)} ${i.mac}  ${extra.join('  ')}`,
      );
    }
    out.push(`    routes: ${p.routes.join('; ') || 'none'}`);
    const status = (
      p.networkStatus as { name?: string; interface?: string; ips?: string[]; default?: boolean }[]
    ).map((e) => `${e.name} ${e.interface ?? ''} ${(e.ips ?? []).join(',')}${e.default ? ' (default)' : ''}`);
    out.push(`    network-status: ${status.join(' | ') || 'none written'}`);
  }
  return out;
}

export function renderReport(r: LabReport): string {
  const lines = [
    '',
    ...renderMatrix(r),
    '',
    ...renderPools(r),
    ...(r.poolViolations.length > 0
      ? ['  addresses not from the annotated pool:', ...r.poolViolations.map((v) => `    ${v}`)]
      : ['  every pod address comes from the pool its annotations name']),
    '',
    ...renderPods(r),
    '',
    `${r.ok ? 'OK' : 'FAILED'}: ${r.run.label}; kernel ${r.run.kernel}; pods attached through ${r.run.attach === 'meta-plugin' ? `the meta plugin (dist/cni/trunkline${r.run.agents ? ', forwarded to one agent per node' : ', one process per plugin call'})` : 'the conflist FALLBACK (no meta plugin)'}`,
  ];
  return `${lines.join('\n')}\n`;
}
