// Just enough of Kubernetes' protobuf encoding to read what kubectl sends as protobuf (its typed
// clients do for authorization reviews): the "k8s\0" envelope around runtime.Unknown, and the
// wire format's length-delimited and varint fields.

type Fields = Map<number, Buffer[]>;

function varint(buf: Buffer, at: number): [number, number] {
  let value = 0;
  let shift = 0;
  let i = at;
  for (;;) {
    const b = buf[i++];
    if (b === undefined) throw new Error('truncated protobuf varint');
    value += (b & 0x7f) * 2 ** shift;
    if ((b & 0x80) === 0) return [value, i];
    shift += 7;
  }
}

/** The length-delimited fields of one message (varints and fixed fields are skipped). */
export function fields(buf: Buffer): Fields {
  const out: Fields = new Map();
  let i = 0;
  while (i < buf.length) {
    const [key, next] = varint(buf, i);
    i = next;
    const wire = key & 7;
    const field = Math.floor(key / 8);
    if (wire === 0) i = varint(buf, i)[1];
    else if (wire === 1) i += 8;
    else if (wire === 5) i += 4;
    else if (wire === 2) {
      const [len, start] = varint(buf, i);
      out.set(field, [...(out.get(field) ?? []), buf.subarray(start, start + len)]);
      i = start + len;
    } else throw new Error(`unsupported protobuf wire type ${wire}`);
  }
  return out;
}

export const str = (f: Fields, n: number): string | undefined => f.get(n)?.[0]?.toString('utf8');
export const sub = (f: Fields, n: number): Fields | undefined => {
  const b = f.get(n)?.[0];
  return b ? fields(b) : undefined;
};

const MAGIC = Buffer.from([0x6b, 0x38, 0x73, 0x00]);

/** The raw object inside a Kubernetes protobuf envelope. */
export function unwrap(body: Buffer): Fields {
  if (!body.subarray(0, 4).equals(MAGIC))
    throw new Error('not a Kubernetes protobuf body (no k8s\\0 prefix)');
  const raw = fields(body.subarray(4)).get(2)?.[0];
  if (!raw) throw new Error('protobuf envelope without raw object');
  return fields(raw);
}
