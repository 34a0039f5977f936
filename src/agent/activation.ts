// Socket activation (sd_listen_fds(3)): systemd, or `systemd-socket-activate`, binds the agent's socket
// itself and starts the agent on the first connection, handing over the listening socket as fd 3 with
// LISTEN_FDS=1 and LISTEN_PID=<our pid>. Calls that arrive before the agent is up wait in the socket's
// backlog instead of falling back to a Node process per plugin.

/** First passed descriptor (SD_LISTEN_FDS_START). */
const FIRST_FD = 3;

/**
 * The inherited listening descriptor, or undefined when the agent was not socket-activated. The
 * variables are removed so that processes the agent starts do not take the socket for theirs.
 */
export function inheritedSocket(env: NodeJS.ProcessEnv = process.env): number | undefined {
  const pid = env['LISTEN_PID'];
  const fds = env['LISTEN_FDS'];
  delete env['LISTEN_PID'];
  delete env['LISTEN_FDS'];
  delete env['LISTEN_FDNAMES'];
  if (pid === undefined || fds === undefined || Number(pid) !== process.pid) return undefined;
  const n = Number(fds);
  if (!Number.isInteger(n) || n < 1) return undefined;
  if (n > 1) throw new Error(`socket activation passed ${n} sockets; the agent listens on exactly one`);
  return FIRST_FD;
}
