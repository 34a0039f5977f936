// `lab report`: the topology as one self-contained SVG — switch (bridges, VLAN gateways), trunk or
// per-VLAN cables, each node's NICs, bond and VLAN sub-interfaces (or the flat variant's veths),
// pods coloured by VLAN with their interfaces and addresses, the connectivity matrix and pool
// utilization bars. The variant and kernel are in the title: the picture never hides which ran.
import { drawNode, drawPod } from './svg-node.js';
import { type Anchors, esc, FONT, GREY, PALETTE, rect, text } from './svg-shapes.js';
import { drawMatrix, drawPools } from './svg-tables.js';
import type { LabReport } from './types.js';

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
  const anchors: Anchors = new Map();

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
