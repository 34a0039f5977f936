// `lab report`: the topology as one self-contained SVG — switch (bridges, VLAN gateways), trunk or
// per-VLAN cables, each node's NICs, bond and VLAN sub-interfaces (or the flat variant's veths),
// pods coloured by VLAN with their interfaces and addresses, the connectivity matrix and pool
// utilization bars. The variant and kernel are in the title: the picture never hides which ran.
import type { LabReport, NodeReport, PodReport } from './types.js';

const PALETTE = ['#1f77b4', '#e6730b', '#2ca02c', '#9467bd', '#d62728', '#8c564b', '#e377c2', '#17becf'];
const GREY = '#7f7f7f';
const FONT = 'font-family="DejaVu Sans, Liberation Sans, Arial, sans-serif"';

const esc = (s: string) =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

function text(
  x: number,
  y: number,
  s: string,
  o: { size?: number; fill?: string; weight?: string; anchor?: string } = {},
): string {
  return `<text x="${x}" y="${y}" font-size="${o.size ?? 12}" fill="${o.fill ?? '#222'}"${o.weight ? ` font-weight="${o.weight}"` : ''}${o.anchor ? ` text-anchor="${o.anchor}"` : ''}>${esc(s)}</text>`;
}
const rect = (
  x: number,
  y: number,
  w: number,
  h: number,
  o: { fill?: string; stroke?: string; rx?: number; dash?: boolean } = {},
) =>
  `<rect x="${x}" y="${y}" width="${w}" height="${h}" rx="${o.rx ?? 6}" fill="${o.fill ?? '#fff'}" stroke="${o.stroke ?? '#333'}" stroke-width="1.5"${o.dash ? ' stroke-dasharray="5 3"' : ''}/>`;
const line = (x1: number, y1: number, x2: number, y2: number, color: string, w = 2, dash = false) =>
  `<line x1="${x1}" y1="${y1}" x2="${x2}" y2="${y2}" stroke="${color}" stroke-width="${w}"${dash ? ' stroke-dasharray="4 3"' : ''}/>`;

export function renderSvg(r: LabReport): string {
  const vlanIds = r.switch.vlans.map((v) => v.id);
  const color = (id: number | undefined) =>
    id === undefined ? GREY : (PALETTE[vlanIds.indexOf(id) % PALETTE.length] ?? GREY);
  const flat = r.run.variant === 'flat';
  const colW = 440;
  const margin = 30;
  const matrixW = 100 + r.pods.length * 86;
  const width = Math.max(960, margin * 2 + r.nodes.length * colW, margin * 2 + matrixW + 40 + 420);
  const out: string[] = [];
  const anchors = new Map<string, { x: number; y: number }>(); // "node#vlanId" → bottom centre of its interface

  // Title
  out.push(text(margin, 34, `Trunkline lab — ${r.run.scenario}`, { size: 20, weight: 'bold' }));
  out.push(
    text(
      margin,
      56,
      `${r.run.label} · ${r.run.kernel} · pods attached via ${r.run.attach === 'meta-plugin' ? 'the trunkline meta plugin' : 'conflist FALLBACK'}`,
      { size: 13, fill: '#444' },
    ),
  );

  const legend = r.switch.vlans.map((v) => `<tspan fill="${color(v.id)}">■ VLAN ${v.id}</tspan>`).join('  ');
  out.push(
    `<text x="${margin}" y="74" font-size="12">${legend}${flat ? `<tspan fill="#b05000">  ·  flat: each bond0.N is a veth on its own untagged bridge — no bond, no 802.1q tags</tspan>` : ''}</text>`,
  );

  // Switch
  const swY = 90;
  const swW = Math.min(width - 2 * margin, 760);
  const swX = (width - swW) / 2;
  out.push(rect(swX, swY, swW, 92, { fill: '#f4f4f4' }));
  out.push(
    text(
      swX + 12,
      swY + 20,
      `switch (netns ${r.switch.netns}) — ${flat ? 'one bridge per VLAN' : 'br0, vlan_filtering, trunk ports'}${r.switch.routing ? ', routes between VLANs' : ''}`,
      { weight: 'bold' },
    ),
  );
  const bw = (swW - 24) / Math.max(1, r.switch.vlans.length);
  const bridgeX = new Map<number, number>();
  r.switch.vlans.forEach((v, i) => {
    const x = swX + 12 + i * bw;
    bridgeX.set(v.id, x + (bw - 8) / 2);
    out.push(rect(x, swY + 32, bw - 8, 48, { fill: `${color(v.id)}22`, stroke: color(v.id) }));
    out.push(
      text(
        x + 8,
        swY + 50,
        `${flat ? `br${v.id}` : `VLAN ${v.id}`}${v.gateway ? ` · gw ${v.gateway}` : ' · L2 only'}`,
        { fill: color(v.id), weight: 'bold', size: 12 },
      ),
    );
    out.push(text(x + 8, swY + 68, v.subnet ?? '', { size: 11, fill: '#555' }));
  });

  // Nodes
  const nodeY = 250;
  let maxY = nodeY;
  r.nodes.forEach((n, ni) => {
    const x0 = margin + ni * colW;
    const { svg, bottom } = drawNode(r, n, x0, nodeY, colW - 20, color, anchors, bridgeX, swY + 92, flat);
    out.push(svg);
    let y = bottom + 24;
    for (const p of r.pods.filter((q) => q.node === n.name)) {
      const d = drawPod(p, x0, y, colW - 20, color, anchors, n.name);
      out.push(d.svg);
      y = d.bottom + 14;
    }
    maxY = Math.max(maxY, y);
  });

  // Matrix and pools
  let y = maxY + 20;
  const m = drawMatrix(r, margin, y);
  out.push(m.svg);
  const p = drawPools(r, margin + m.width + 40, y, color);
  out.push(p.svg);
  y = Math.max(m.bottom, p.bottom) + 20;
  out.push(
    text(
      margin,
      y,
      `${r.ok ? 'OK' : 'FAILED'} — ${r.mismatches.length} unexpected pair(s), ${r.poolViolations.length} pool violation(s); generated ${new Date().toISOString()}`,
      { size: 11, fill: r.ok ? '#2a7a2a' : '#b00' },
    ),
  );
  const height = y + 20;
  return `<?xml version="1.0" encoding="UTF-8"?>
<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" ${FONT}>
<title>Trunkline lab: ${esc(r.run.scenario)} (${esc(r.run.label)})</title>
<rect width="100%" height="100%" fill="#ffffff"/>
${out.join('\n')}
</svg>
`;
}

function drawNode(
  r: LabReport,
  n: NodeReport,
  x: number,
  y: number,
  w: number,
  color: (id: number | undefined) => string,
  anchors: Map<string, { x: number; y: number }>,
  bridgeX: Map<number, number>,
  swBottom: number,
  flat: boolean,
): { svg: string; bottom: number } {
  const out: string[] = [];
  const ports = r.switch.ports.filter((p) => p.node === n.name);
  const link = (name: string) => n.links.find((l) => l.name === name);
  const nicY = y + 30;
  const bw = Math.min(130, (w - 20) / Math.max(1, ports.length) - 8);
  // Row 1: what is cabled to the switch (NICs, or flat veths)
  ports.forEach((p, i) => {
    const bx = x + 10 + i * (bw + 8);
    const vlan = flat ? p.vlans[0] : undefined;
    out.push(
      rect(bx, nicY, bw, 34, {
        fill: flat ? `${color(vlan)}22` : '#fff',
        stroke: flat ? color(vlan) : '#333',
      }),
    );
    out.push(text(bx + 6, nicY + 14, p.nic, { weight: 'bold', size: 12 }));
    const l = link(p.nic);
    out.push(
      text(
        bx + 6,
        nicY + 28,
        `${l?.kind ?? '?'}${l?.master ? ` → ${l.master}` : ''}${l?.addrs[0] ? ` ${l.addrs[0]}` : ''}`,
        { size: 10, fill: '#555' },
      ),
    );
    const topX = bx + bw / 2;
    if (flat) {
      const sx = bridgeX.get(vlan ?? -1) ?? topX;
      out.push(line(topX, nicY, sx, swBottom, color(vlan), 2));
      anchors.set(`${n.name}#${vlan}`, { x: topX, y: nicY + 34 });
    } else {
      out.push(line(topX, nicY, x + w / 2, swBottom, '#333', 3));
      if (i === 0)
        out.push(
          text(x + w / 2 + 8, (nicY + swBottom) / 2, `trunks: VLAN ${p.vlans.join(', ')} tagged`, {
            size: 10,
            fill: '#333',
          }),
        );
    }
  });
  let bottom = nicY + 34;
  if (!flat) {
    const bond = n.links.find((l) => l.kind === 'bond');
    if (bond) {
      const by = nicY + 56;
      out.push(rect(x + 10, by, w - 20, 30, { fill: '#fafafa' }));
      const ports2 = n.links.filter((l) => l.master === bond.name).map((l) => l.name);
      out.push(text(x + 18, by + 19, `${bond.name} (bond: ${ports2.join(' + ')})`, { weight: 'bold' }));
      ports.forEach((_, i) => {
        out.push(line(x + 10 + i * (bw + 8) + bw / 2, nicY + 34, x + 10 + i * (bw + 8) + bw / 2, by, '#333'));
      });
      bottom = by + 30;
    }
    const vlans = n.links.filter((l) => l.kind === 'vlan');
    const vy = bottom + 18;
    const vw = Math.min(130, (w - 20) / Math.max(1, vlans.length) - 8);
    vlans.forEach((v, i) => {
      const vx = x + 10 + i * (vw + 8);
      out.push(rect(vx, vy, vw, 52, { fill: `${color(v.vlanId)}22`, stroke: color(v.vlanId) }));
      out.push(text(vx + 6, vy + 15, v.name, { weight: 'bold', fill: color(v.vlanId) }));
      out.push(text(vx + 6, vy + 30, `802.1q VLAN ${v.vlanId ?? '?'}`, { size: 10, fill: '#555' }));
      if (v.addrs[0]) out.push(text(vx + 6, vy + 44, v.addrs[0], { size: 10, fill: '#555' }));
      out.push(line(vx + vw / 2, vy, vx + vw / 2, bottom, color(v.vlanId), 1.5));
      anchors.set(`${n.name}#${v.vlanId}`, { x: vx + vw / 2, y: vy + 52 });
    });
    if (vlans.length > 0) bottom = vy + 52;
  }
  const extra = n.links.filter((l) => l.kind === 'veth' && !ports.some((p) => p.nic === l.name));
  out.push(rect(x, y, w, bottom - y + 26, { fill: 'none', stroke: '#555', dash: true }));
  out.push(text(x + 8, y + 18, `node ${n.name} (netns ${n.netns})`, { weight: 'bold', size: 13 }));
  out.push(
    text(x + 10, bottom + 18, `+ ${extra.length} host-side veth(s) to pods (coordinator / cluster network)`, {
      size: 10,
      fill: '#666',
    }),
  );
  return { svg: out.join('\n'), bottom: bottom + 26 };
}

function drawPod(
  p: PodReport,
  x: number,
  y: number,
  w: number,
  color: (id: number | undefined) => string,
  anchors: Map<string, { x: number; y: number }>,
  node: string,
): { svg: string; bottom: number } {
  const out: string[] = [];
  const main = p.ifaces.find((i) => i.name === p.target?.iface);
  const c = color(main?.vlan);
  const h = 26 + p.ifaces.length * 16 + 6;
  out.push(rect(x + 20, y, w - 20, h, { fill: `${c}18`, stroke: c, rx: 8 }));
  out.push(text(x + 30, y + 18, `pod ${p.namespace}/${p.name}`, { weight: 'bold', fill: c, size: 13 }));
  p.ifaces.forEach((i, k) => {
    const ly = y + 36 + k * 16;
    const ic = i.kind === 'macvlan' ? color(i.vlan) : GREY;
    out.push(`<circle cx="${x + 34}" cy="${ly - 4}" r="4" fill="${ic}"/>`);
    const vlan = i.vlan !== undefined ? ` VLAN ${i.vlan}` : '';
    const pool = i.pools ? ` · ${Object.keys(i.pools).join(',')}` : '';
    out.push(
      text(x + 44, ly, `${i.name} ${i.kind}${vlan} ${i.addrs.join(', ')}${pool}`, { size: 11, fill: '#222' }),
    );
    if (i.kind === 'macvlan') {
      const a = anchors.get(`${node}#${i.vlan}`);
      if (a) out.push(line(x + 30, ly - 4, a.x, a.y, ic, 1.2, true));
    }
  });
  return { svg: out.join('\n'), bottom: y + h };
}

function drawMatrix(r: LabReport, x: number, y: number): { svg: string; bottom: number; width: number } {
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

function drawPools(
  r: LabReport,
  x: number,
  y: number,
  color: (id: number | undefined) => string,
): { svg: string; bottom: number } {
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
