// SVG primitives of the `lab report` picture: escaped text, boxes, cables, and the VLAN palette.

export const PALETTE = [
  '#1f77b4',
  '#e6730b',
  '#2ca02c',
  '#9467bd',
  '#d62728',
  '#8c564b',
  '#e377c2',
  '#17becf',
];
export const GREY = '#7f7f7f';
export const FONT = 'font-family="DejaVu Sans, Liberation Sans, Arial, sans-serif"';

export const esc = (s: string) =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

export function text(
  x: number,
  y: number,
  s: string,
  o: { size?: number; fill?: string; weight?: string; anchor?: string } = {},
): string {
  return `<text x="${x}" y="${y}" font-size="${o.size ?? 12}" fill="${o.fill ?? '#222'}"${o.weight ? ` font-weight="${o.weight}"` : ''}${o.anchor ? ` text-anchor="${o.anchor}"` : ''}>${esc(s)}</text>`;
}
export const rect = (
  x: number,
  y: number,
  w: number,
  h: number,
  o: { fill?: string; stroke?: string; rx?: number; dash?: boolean } = {},
) =>
  `<rect x="${x}" y="${y}" width="${w}" height="${h}" rx="${o.rx ?? 6}" fill="${o.fill ?? '#fff'}" stroke="${o.stroke ?? '#333'}" stroke-width="1.5"${o.dash ? ' stroke-dasharray="5 3"' : ''}/>`;
export const line = (x1: number, y1: number, x2: number, y2: number, color: string, w = 2, dash = false) =>
  `<line x1="${x1}" y1="${y1}" x2="${x2}" y2="${y2}" stroke="${color}" stroke-width="${w}"${dash ? ' stroke-dasharray="4 3"' : ''}/>`;

/** A VLAN's colour (grey for none). */
export type Color = (id: number | undefined) => string;
/** Where a VLAN's interface sits on a node ("node#vlanId" → bottom centre), for pods' cables to it. */
export type Anchors = Map<string, { x: number; y: number }>;
