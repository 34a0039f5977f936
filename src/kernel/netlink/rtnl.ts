// rtnetlink message encoding and decoding: netlink headers, fixed family headers, attributes
// (TLVs, 4-byte aligned, nested by type). Only what the netlink backend uses.

export const NLMSG_ERROR = 2;
const NLM_F_REQUEST = 0x1;
export const NLM_F_ACK = 0x4;
export const NLM_F_DUMP = 0x300;
export const NLM_F_REPLACE = 0x100;
export const NLM_F_APPEND = 0x800;
export const NLM_F_EXCL = 0x200;
export const NLM_F_CREATE = 0x400;
const NLM_F_CAPPED = 0x100;
const NLM_F_ACK_TLVS = 0x200;
const NLMSGERR_ATTR_MSG = 1;
const NLA_TYPE_MASK = 0x3fff;

export const RTM = {
  NEWLINK: 16,
  DELLINK: 17,
  GETLINK: 18,
  NEWADDR: 20,
  DELADDR: 21,
  GETADDR: 22,
  NEWROUTE: 24,
  DELROUTE: 25,
  GETROUTE: 26,
  NEWNEIGH: 28,
  NEWRULE: 32,
  DELRULE: 33,
  GETRULE: 34,
} as const;

export const IFLA = {
  ADDRESS: 1,
  IFNAME: 3,
  MTU: 4,
  LINK: 5,
  MASTER: 10,
  TXQLEN: 13,
  OPERSTATE: 16,
  LINKINFO: 18,
  NET_NS_FD: 28,
  EXT_MASK: 29,
  LINK_NETNSID: 37,
} as const;
export const IFLA_INFO = { KIND: 1, DATA: 2 } as const;
export const IFF_UP = 0x1;

export const AF_UNSPEC = 0;
export const AF_INET = 2;
export const AF_INET6 = 10;

/** A growable buffer that writes one netlink message. */
export class MsgWriter {
  private buf = Buffer.alloc(256);
  private len = 0;
  private readonly nests: number[] = [];

  constructor(type: number, flags: number) {
    this.u32(0); // length, patched by finish()
    this.u16(type);
    this.u16(flags | NLM_F_REQUEST);
    this.u32(0); // seq, patched by finish()
    this.u32(0); // port id: the kernel fills it in
  }

  private ensure(n: number): void {
    if (this.len + n <= this.buf.length) return;
    const next = Buffer.alloc(Math.max(this.buf.length * 2, this.len + n));
    this.buf.copy(next, 0, 0, this.len);
    this.buf = next;
  }
  u8(v: number): this {
    this.ensure(1);
    this.buf.writeUInt8(v, this.len);
    this.len += 1;
    return this;
  }
  u16(v: number): this {
    this.ensure(2);
    this.buf.writeUInt16LE(v, this.len);
    this.len += 2;
    return this;
  }
  u32(v: number): this {
    this.ensure(4);
    this.buf.writeUInt32LE(v >>> 0, this.len);
    this.len += 4;
    return this;
  }
  i32(v: number): this {
    this.ensure(4);
    this.buf.writeInt32LE(v, this.len);
    this.len += 4;
    return this;
  }
  bytes(b: Buffer): this {
    this.ensure(b.length);
    b.copy(this.buf, this.len);
    this.len += b.length;
    return this;
  }
  private align(): void {
    const pad = (4 - (this.len % 4)) % 4;
    this.ensure(pad);
    this.buf.fill(0, this.len, this.len + pad);
    this.len += pad;
  }

  attr(type: number, data: Buffer): this {
    this.u16(4 + data.length)
      .u16(type)
      .bytes(data);
    this.align();
    return this;
  }
  attrU8(type: number, v: number): this {
    return this.attr(type, Buffer.from([v & 0xff]));
  }
  attrU16(type: number, v: number): this {
    const b = Buffer.alloc(2);
    b.writeUInt16LE(v);
    return this.attr(type, b);
  }
  attrBe16(type: number, v: number): this {
    const b = Buffer.alloc(2);
    b.writeUInt16BE(v);
    return this.attr(type, b);
  }
  attrU32(type: number, v: number): this {
    const b = Buffer.alloc(4);
    b.writeUInt32LE(v >>> 0);
    return this.attr(type, b);
  }
  attrStr(type: number, s: string): this {
    return this.attr(type, Buffer.from(`${s}\0`, 'utf8'));
  }
  begin(type: number): this {
    this.nests.push(this.len);
    return this.u16(0).u16(type);
  }
  end(): this {
    const start = this.nests.pop();
    if (start === undefined) throw new Error('netlink: end() without begin()');
    this.buf.writeUInt16LE(this.len - start, start);
    return this;
  }

  finish(seq: number): Buffer {
    this.buf.writeUInt32LE(this.len, 0);
    this.buf.writeUInt32LE(seq >>> 0, 8);
    return this.buf.subarray(0, this.len);
  }
}

export interface NlMsg {
  type: number;
  flags: number;
  /** The payload after the 16-byte netlink header. */
  body: Buffer;
}

export function splitMessages(buf: Buffer): NlMsg[] {
  const out: NlMsg[] = [];
  let off = 0;
  while (off + 16 <= buf.length) {
    const len = buf.readUInt32LE(off);
    if (len < 16 || off + len > buf.length) break;
    out.push({
      type: buf.readUInt16LE(off + 4),
      flags: buf.readUInt16LE(off + 6),
      body: buf.subarray(off + 16, off + len),
    });
    off += (len + 3) & ~3;
  }
  return out;
}

/** Attributes of a message body from `offset`; later duplicates win, nested flags are masked. */
export function parseAttrs(buf: Buffer, offset = 0): Map<number, Buffer> {
  const out = new Map<number, Buffer>();
  let off = offset;
  while (off + 4 <= buf.length) {
    const len = buf.readUInt16LE(off);
    const type = buf.readUInt16LE(off + 2) & NLA_TYPE_MASK;
    if (len < 4 || off + len > buf.length) break;
    out.set(type, buf.subarray(off + 4, off + len));
    off += (len + 3) & ~3;
  }
  return out;
}

export const attrStr = (b: Buffer | undefined): string | undefined => {
  if (b === undefined) return undefined;
  const nul = b.indexOf(0);
  return b.toString('utf8', 0, nul < 0 ? b.length : nul);
};
export const attrU32 = (b: Buffer | undefined): number | undefined =>
  b !== undefined && b.length >= 4 ? b.readUInt32LE(0) : undefined;
export const attrU16 = (b: Buffer | undefined): number | undefined =>
  b !== undefined && b.length >= 2 ? b.readUInt16LE(0) : undefined;
export const attrU8 = (b: Buffer | undefined): number | undefined =>
  b !== undefined && b.length >= 1 ? b.readUInt8(0) : undefined;

/** The errno (positive) and extended-ack text of an NLMSG_ERROR; errno 0 is an ack. */
export function decodeError(m: NlMsg): { errno: number; msg?: string } {
  const errno = -m.body.readInt32LE(0);
  if (errno === 0 || !(m.flags & NLM_F_ACK_TLVS)) return { errno };
  // With NETLINK_CAP_ACK the echoed request is only its 16-byte header.
  const echoed = m.flags & NLM_F_CAPPED ? 16 : m.body.length >= 8 ? m.body.readUInt32LE(4) : 16;
  const text = attrStr(parseAttrs(m.body, 4 + ((echoed + 3) & ~3)).get(NLMSGERR_ATTR_MSG));
  return text ? { errno, msg: text } : { errno };
}

// Addresses are src/net's grammar; the kernel's byte form lives there too.
export { bytesToIp, ipToBytes } from '../../net/ip.js';

export function macToBytes(mac: string): Buffer {
  const parts = mac.split(':');
  if (parts.length !== 6 || parts.some((p) => !/^[0-9a-fA-F]{1,2}$/.test(p))) {
    throw new Error(`invalid MAC address "${mac}"`);
  }
  return Buffer.from(parts.map((p) => Number.parseInt(p, 16)));
}

export const bytesToMac = (b: Buffer): string => [...b].map((x) => x.toString(16).padStart(2, '0')).join(':');
