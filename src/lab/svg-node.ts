// One node's column of the `lab report` picture: its NICs cabled to the switch (trunks, or the flat
// variant's per-VLAN veths), bond and VLAN sub-interfaces, then its pods with a cable from each macvlan
// NIC to the VLAN interface it hangs off.
import { type Anchors, type Color, GREY, line, rect, text } from './svg-shapes.js';
import type { LabReport, NodeReport, PodReport } from './types.js';

export function drawNode(
  r: LabReport,
  n: NodeReport,
  x: number,
  y: number,
  w: number,
  color: Color,
  anchors: Anchors,
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

export function drawPod(
  p: PodReport,
  x: number,
  y: number,
  w: number,
  color: Color,
  anchors: Anchors,
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
