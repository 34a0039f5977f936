// One node agent per simulated node (`dist/agent/agent.js` started inside the node's namespace with
// its own socket and NODE_NAME), so the CNI shims the lab calls forward to it as they would on a real
// node instead of starting Node.js for every plugin. Started detached (they outlive `lab up`) and
// stopped by `lab down` by process id, after checking the id still names that agent.
import { spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { tool } from '../kernel/iproute2/run.js';
import { netnsPath } from '../kernel/namespaces.js';
import { nodeNs, type StatePaths } from './names.js';

export interface AgentRecord {
  node: string;
  pid: number;
  socket: string;
}

export const agentBundle = (pluginDir: string): string => resolve(pluginDir, '..', 'agent', 'agent.js');
const agentSocket = (paths: StatePaths, node: string): string => join(paths.node(node).dir, 'agent.sock');

/** Starts the node's agent and waits until its socket answers to a connect. */
export async function startAgent(
  paths: StatePaths,
  pluginDir: string,
  prefix: string,
  node: string,
  onPid: (a: AgentRecord) => void,
  timeoutMs = 60_000,
): Promise<AgentRecord> {
  const socket = agentSocket(paths, node);
  const log = openSync(join(paths.root, 'cni.log'), 'a');
  const child = spawn(
    tool('nsenter'),
    [
      `--net=${netnsPath(nodeNs(prefix, node))}`,
      process.execPath,
      agentBundle(pluginDir),
      '--socket',
      socket,
      '--metrics-port',
      'off',
      '--kernel',
      'netlink',
    ],
    {
      detached: true,
      stdio: ['ignore', log, log],
      env: {
        PATH: process.env['PATH'] ?? '/usr/sbin:/usr/bin:/sbin:/bin',
        NODE_NAME: node,
        TRUNKLINE_LOG_FILE: join(paths.root, 'cni.log'),
        ...(process.env['TRUNKLINE_SQLITE_BINDING']
          ? { TRUNKLINE_SQLITE_BINDING: process.env['TRUNKLINE_SQLITE_BINDING'] }
          : {}),
      },
    },
  );
  closeSync(log);
  if (child.pid === undefined) throw new Error(`cannot start the agent for ${node}`);
  const rec = { node, pid: child.pid, socket };
  onPid(rec);
  child.unref();
  let exited: number | null = null;
  child.on('exit', (c) => {
    exited = c ?? 1;
  });
  const t0 = Date.now();
  while (Date.now() - t0 < timeoutMs) {
    if (exited !== null)
      throw new Error(`the agent for ${node} exited with status ${exited}; ${logTail(paths)}`);
    if (existsSync(socket) && (await connects(socket))) return rec;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`the agent for ${node} did not open ${socket} within ${timeoutMs} ms; ${logTail(paths)}`);
}

function logTail(paths: StatePaths): string {
  const file = join(paths.root, 'cni.log');
  try {
    const lines = readFileSync(file, 'utf8').trim().split('\n').slice(-6);
    return `last lines of ${file}:\n    ${lines.join('\n    ')}`;
  } catch {
    return `no ${file}`;
  }
}

async function connects(socket: string): Promise<boolean> {
  const { connect } = await import('node:net');
  return new Promise((res) => {
    const s = connect(socket);
    s.once('connect', () => {
      s.destroy();
      res(true);
    });
    s.once('error', () => res(false));
  });
}

/** Still this agent? (nsenter execs node, so the pid's command line names the socket.) */
function isOurs(a: AgentRecord): boolean {
  try {
    return readFileSync(`/proc/${a.pid}/cmdline`, 'utf8').split('\0').includes(a.socket);
  } catch {
    return false;
  }
}

/** SIGTERM (the agent drains), then SIGKILL after `graceMs`. Returns false if it was already gone. */
export async function stopAgent(a: AgentRecord, graceMs = 10_000): Promise<boolean> {
  if (!isOurs(a)) return false;
  process.kill(a.pid, 'SIGTERM');
  const t0 = Date.now();
  while (Date.now() - t0 < graceMs) {
    if (!isOurs(a)) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  if (isOurs(a)) process.kill(a.pid, 'SIGKILL');
  return true;
}
