// Field helpers of the scenario parsers: untyped YAML mappings, where a problem is (a path into the
// document), and the CIDR check the lab's IPv4-only topologies share.
import { errorText } from '../../cni/errors.js';
import { formatCidr, parseCidr, RangeSyntaxError } from '../../ipam/ranges.js';

export type Rec = Record<string, unknown>;
export const isRec = (v: unknown): v is Rec => typeof v === 'object' && v !== null && !Array.isArray(v);
export type Path = (string | number)[];
/** Records a problem at a path; parsing goes on so one run lists them all. */
export type Bad = (path: Path, message: string) => void;

export function cidrField(v: unknown, path: Path, bad: Bad, network: boolean): string | undefined {
  try {
    if (typeof v !== 'string')
      throw new RangeSyntaxError(`expected a CIDR string, found ${JSON.stringify(v)}`);
    const c = parseCidr(v);
    if (c.family !== 4) throw new RangeSyntaxError(`${v}: the lab builds IPv4 topologies only`);
    if (network && !c.isNetwork)
      throw new RangeSyntaxError(`${v} has host bits set (did you mean ${formatCidr(c)}?)`);
    return v;
  } catch (e) {
    bad(path, errorText(e));
    return undefined;
  }
}
