// A netlink request the kernel applies and never answers: RTM_SETLINK on lo with no change and no
// NLM_F_ACK. Sent through the addon with a receive bound, it stands for a stalled dump or a held
// namespace: the call waits out its bound and fails with ETIMEDOUT.
export function silentRequest(seq: number): Buffer {
  const b = Buffer.alloc(32);
  b.writeUInt32LE(32, 0);
  b.writeUInt16LE(19, 4); // RTM_SETLINK
  b.writeUInt16LE(1, 6); // NLM_F_REQUEST only
  b.writeUInt32LE(seq, 8);
  b.writeInt32LE(1, 20); // ifi_index of lo
  return b;
}
