// The tables under the `lab report` picture: the connectivity matrix (row pings column, unexpected
// results outlined) and the pools' utilization bars with their holders.
import { type Color, rect, text } from './svg-shapes.js';
import type { LabReport } from './types.js';

export function drawMatrix(
  r: LabReport,
  x: number,
  y: number,
): { svg: string; bottom: number; width: number } {
  const ids = r.pods.map((p) => `${p.namespace}/${p.name}`);
  const short = (id: string) => (id.startsWith('default/') ? id.slice(8) : id);
  const cw = 86;
  const lw = Math.max(90, ...ids.map((i) => short(i).length * 7 + 10));
  const out = [text(x, y + 14, 'Connectivity (row pings column)', { weight: 'bold', size: 13 })];
  ids.forEach((id, j) => {
    out.push(text(x + lw + j * cw + cw / 2, y + 34, short(id), { size: 10, anchor: 'middle' }));
  });
  ids.forEach((from, i) => {
    const ry = y + 40 + i * 22;
    out.push(text(x, ry + 15, short(from), { size: 11 }));
    ids.forEach((to, j) => {
      const cx = x + lw + j * cw;
      if (from === to) {
        out.push(rect(cx, ry, cw - 4, 20, { fill: '#eee', stroke: '#ccc', rx: 2 }));
        return;
      }
      const c = r.matrix.find((m) => m.from === from && m.to === to);
      const bad = c?.expected !== undefined && c.expected !== c.ok;
      out.push(
        rect(cx, ry, cw - 4, 20, {
          fill: c?.ok ? '#d9f2d9' : '#f7dada',
          stroke: bad ? '#b00' : '#bbb',
          rx: 2,
        }),
      );
      const t = c
        ? `${c.ok ? '✓' : '✗'}${c.ok && c.ms !== undefined ? ` ${c.ms.toFixed(2)} ms` : ''}${bad ? ' !' : ''}`
        : '?';
      out.push(text(cx + (cw - 4) / 2, ry + 14, t, { size: 10, anchor: 'middle' }));
    });
  });
  return { svg: out.join('\n'), bottom: y + 40 + ids.length * 22, width: lw + ids.length * cw };
}

export function drawPools(r: LabReport, x: number, y: number, color: Color): { svg: string; bottom: number } {
  const out = [text(x, y + 14, 'Pool utilization', { weight: 'bold', size: 13 })];
  const barW = 220;
  r.pools.forEach((p, i) => {
    const py = y + 30 + i * 54;
    const frac = p.usable > 0 ? p.allocated / p.usable : 0;
    out.push(
      text(x, py + 12, `${p.name} ${p.subnet}${p.vlan !== undefined ? ` (VLAN ${p.vlan})` : ''}`, {
        size: 11,
      }),
    );
    out.push(rect(x, py + 17, barW, 12, { fill: '#eee', stroke: '#999', rx: 3 }));
    out.push(
      rect(x, py + 17, Math.max(frac > 0 ? 3 : 0, barW * frac), 12, {
        fill: color(p.vlan),
        stroke: color(p.vlan),
        rx: 3,
      }),
    );
    out.push(
      text(x + barW + 8, py + 28, `${p.allocated} of ${p.usable} allocated`, { size: 11, fill: '#444' }),
    );
    const holders = p.holders.map((h) => `${h.ip} ${h.pod.replace(/^default\//, '')} ${h.ifname}`);
    out.push(
      text(
        x,
        py + 44,
        holders.slice(0, 4).join(' · ') + (holders.length > 4 ? ` · +${holders.length - 4}` : ''),
        { size: 10, fill: '#555' },
      ),
    );
  });
  return { svg: out.join('\n'), bottom: y + 30 + r.pools.length * 54 };
}
