// A real etcd (Debian etcd-server 3.4) on loopback for tests: random free ports, a temporary data
// dir (in /dev/shm when available, so fsync does not dominate), stopped and removed by stop().
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const ETCD_BIN = process.env['ETCD_BIN'] ?? '/usr/bin/etcd';
export const haveEtcd = existsSync(ETCD_BIN);

export interface EtcdProcess {
  endpoint: string;
  dataDir: string;
  /** The running etcd (replaced by restart()). */
  child: ChildProcess;
  stop(): Promise<void>;
  /** SIGKILL, as a crash or an OOM kill would: no shutdown, whatever was in flight is cut off. */
  kill(): Promise<void>;
  /** A new etcd on the same data dir and ports (after kill()), ready to serve. */
  restart(): Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const addr = s.address();
      const port = typeof addr === 'object' && addr !== null ? addr.port : 0;
      s.close(() => resolve(port));
    });
  });
}

async function ready(endpoint: string, child: ChildProcess, log: () => string): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`etcd exited with ${child.exitCode}: ${log()}`);
    try {
      const r = await fetch(`${endpoint}/v3/kv/range`, { method: 'POST', body: '{"key":"AA=="}' });
      if (r.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`etcd at ${endpoint} not ready within 15 s: ${log()}`);
}

function launch(dataDir: string, endpoint: string, peerUrl: string) {
  const child = spawn(
    ETCD_BIN,
    [
      '--name',
      'test',
      '--data-dir',
      dataDir,
      '--listen-client-urls',
      endpoint,
      '--advertise-client-urls',
      endpoint,
      '--listen-peer-urls',
      peerUrl,
      '--initial-advertise-peer-urls',
      peerUrl,
      '--initial-cluster',
      `test=${peerUrl}`,
      '--log-level',
      'warn',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr?.on('data', (c: Buffer) => {
    stderr = (stderr + c.toString()).slice(-4000);
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return { child, exited, log: () => stderr };
}

export async function startEtcd(): Promise<EtcdProcess> {
  const base = existsSync('/dev/shm') ? '/dev/shm' : tmpdir();
  const dataDir = mkdtempSync(join(base, 'trunkline-etcd-'));
  const [client, peer] = [await freePort(), await freePort()];
  const endpoint = `http://127.0.0.1:${client}`;
  const peerUrl = `http://127.0.0.1:${peer}`;
  let run = launch(dataDir, endpoint, peerUrl);
  const halt = async (signal: NodeJS.Signals) => {
    const { child, exited } = run;
    if (child.exitCode === null && child.signalCode === null) {
      child.kill(signal);
      const t = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(t);
    }
  };
  const p: EtcdProcess = {
    endpoint,
    dataDir,
    child: run.child,
    stop: async () => {
      await halt('SIGTERM');
      rmSync(dataDir, { recursive: true, force: true });
    },
    kill: () => halt('SIGKILL'),
    restart: async () => {
      await halt('SIGKILL');
      run = launch(dataDir, endpoint, peerUrl);
      p.child = run.child;
      await ready(endpoint, run.child, run.log);
    },
  };
  try {
    await ready(endpoint, run.child, run.log);
  } catch (err) {
    await p.stop();
    throw err;
  }
  return p;
}
