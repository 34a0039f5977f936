// Who may use the agent, and where its socket may live. The socket file is 0600 root, so only root
// connects in the first place; the peer check (SO_PEERCRED) keeps that true if the file's mode is
// ever widened, and admits one configured non-root uid. A socket directory others can write is
// refused: whoever can replace the socket file can impersonate the agent.
import { stat } from 'node:fs/promises';
import type { Socket } from 'node:net';
import { peerUidReader } from '../kernel/netlink/index.js';

export type PeerCheck = (sock: Socket) => { ok: true } | { ok: false; uid: number | undefined };

export function peerCheck(allowUid: number | undefined): PeerCheck | undefined {
  const read = peerUidReader();
  if (!read) return undefined;
  return (sock) => {
    const fd = (sock as unknown as { _handle?: { fd?: number } })._handle?.fd;
    if (typeof fd !== 'number' || fd < 0) return { ok: false, uid: undefined };
    let uid: number;
    try {
      uid = read(fd);
    } catch {
      return { ok: false, uid: undefined };
    }
    return uid === 0 || uid === allowUid ? { ok: true } : { ok: false, uid };
  };
}

/** Throws unless `dir` is owned by root and writable by nobody else. */
export async function assertSafeDir(dir: string): Promise<void> {
  const st = await stat(dir);
  if (st.uid !== 0 || (st.mode & 0o022) !== 0) {
    throw new Error(
      `socket directory ${dir} must be owned by root and not group/world-writable, found uid ${st.uid} mode ${(st.mode & 0o7777).toString(8)}`,
    );
  }
}
