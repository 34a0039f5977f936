// The node agent in a test scene: started inside the scene's "host" namespace (where the plugins it
// runs in-process must act), talked to through the C shims the way a runtime would, and stopped with
// SIGTERM. Plus a slow IPAM stand-in that records when each call starts and ends.
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before } from 'node:test';
import { promisify } from 'node:util';
import { type PluginRun, runCni } from '../helpers/cni.js';
import { Scene } from '../helpers/netns.js';
import { DIST, DIST_CNI, REF_CNI } from '../helpers/paths.js';

const execAsync = promisify(execFile);
export const AGENT_JS = join(DIST, 'agent', 'agent.js');
export const SHIM = join(DIST_CNI, 'trunkline-macvlan');

export interface TestAgent {
  socket: string;
  metricsPort: number;
  child: ChildProcess;
  /** Everything the agent wrote on stderr (its JSON log lines). */
  logs(): string[];
  /** GET path on the agent's HTTP port, from inside its namespace. */
  http(path: string): Promise<{ status: number; body: string }>;
  /** SIGTERM, then the exit code. */
  stop(): Promise<number>;
  exited: Promise<number>;
}

/** `entry`: the agent's script (a test may start a variant of it, see test/chaos/held-agent.ts). */
export async function startAgent(
  hostNetns: string,
  dir: string,
  extra: string[] = [],
  env: Record<string, string> = {},
  entry = AGENT_JS,
): Promise<TestAgent> {
  const socket = join(dir, `agent-${randomBytes(3).toString('hex')}.sock`);
  const child = spawn(
    'nsenter',
    // The default backend, named so that an addon that does not load (e.g. a sanitized build in a Node
    // without the ASan runtime) stops the agent instead of falling back to iproute2 unseen.
    [
      `--net=${hostNetns}`,
      process.execPath,
      entry,
      '--socket',
      socket,
      '--metrics-port',
      '0',
      '--kernel',
      'netlink',
      ...extra,
    ],
    { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, ...env, TRUNKLINE_LOG_LEVEL: 'info' } },
  );
  let err = '';
  child.stderr?.on('data', (c: Buffer) => {
    err += c.toString();
  });
  const exited = new Promise<number>((r) => child.once('exit', (code) => r(code ?? 1)));
  const lines = () => err.split('\n').filter((l) => l.trim() !== '');
  let port: number | undefined;
  for (let i = 0; i < 400 && port === undefined; i++) {
    for (const l of lines()) {
      try {
        const j = JSON.parse(l) as { msg?: string; metricsPort?: number };
        if (j.msg === 'agent ready') port = j.metricsPort;
      } catch {}
    }
    if (port === undefined) {
      if (child.exitCode !== null) throw new Error(`agent exited early: ${err}`);
      await new Promise((r) => setTimeout(r, 25));
    }
  }
  if (port === undefined) {
    child.kill('SIGKILL');
    throw new Error(`agent did not become ready: ${err}`);
  }
  const metricsPort = port;
  return {
    socket,
    metricsPort,
    child,
    logs: lines,
    exited,
    http: async (path) => {
      const script = `fetch('http://127.0.0.1:${metricsPort}${path}').then(async r => { process.stdout.write(r.status + '\\n' + await r.text()); })`;
      const { stdout } = await execAsync('nsenter', [`--net=${hostNetns}`, process.execPath, '-e', script]);
      const nl = stdout.indexOf('\n');
      return { status: Number(stdout.slice(0, nl)), body: stdout.slice(nl + 1) };
    },
    stop: async () => {
      if (child.exitCode === null) child.kill('SIGTERM');
      return exited;
    },
  };
}

/** Value of one sample in Prometheus text, 0 when absent. Labels must be given in rendered order. */
export function metric(text: string, name: string, labels: Record<string, string> = {}): number {
  const want = Object.entries(labels);
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const m = /^([a-z_:]+)(\{([^}]*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const have = new Map(
      (m[3] ?? '')
        .split(',')
        .filter(Boolean)
        .map((kv) => {
          const eq = kv.indexOf('=');
          return [kv.slice(0, eq), kv.slice(eq + 2, -1)] as [string, string];
        }),
    );
    if (want.every(([k, v]) => have.get(k) === v) && have.size === want.length) return Number(m[4]);
  }
  return 0;
}

/**
 * A stand-in IPAM plugin (shell) that takes `delayMs` and appends "start|end CMD ID epoch-ms" lines
 * to a log, so tests can see how calls overlapped. ADD returns 10.77.0.<n>/24 with n from the id.
 */
export function slowIpam(
  dir: string,
  delayMs: number,
): { type: string; dir: string; log: string; events(): Event[] } {
  const type = 'ta-slow-ipam';
  const log = join(dir, 'slow-ipam.log');
  const file = join(dir, type);
  writeFileSync(
    file,
    `#!/bin/sh
cat > /dev/null
echo "start $CNI_COMMAND $CNI_CONTAINERID $(date +%s%3N)" >> ${log}
sleep ${(delayMs / 1000).toFixed(3)}
echo "end $CNI_COMMAND $CNI_CONTAINERID $(date +%s%3N)" >> ${log}
if [ "$CNI_COMMAND" = ADD ]; then
  n=$(printf '%s' "$CNI_CONTAINERID" | cksum | cut -d' ' -f1)
  echo '{"cniVersion":"1.0.0","ips":[{"address":"10.77.0.'$((n % 200 + 10))'/24","gateway":"10.77.0.1"}]}'
fi
`,
  );
  chmodSync(file, 0o755);
  return {
    type,
    dir,
    log,
    events: () => {
      let text = '';
      try {
        text = readFileSync(log, 'utf8');
      } catch {}
      return text
        .split('\n')
        .filter(Boolean)
        .map((l) => {
          const [what, command, id, at] = l.split(' ');
          return { what: what as 'start' | 'end', command: command ?? '', id: id ?? '', at: Number(at) };
        });
    },
  };
}
export interface Event {
  what: 'start' | 'end';
  command: string;
  id: string;
  at: number;
}

export function macvlanConf(master: string, ipam: object, name = 'ta-net'): object {
  return { cniVersion: '1.0.0', name, type: 'trunkline-macvlan', master, mode: 'bridge', ipam };
}

/** One CNI call through the shim, inside hostNetns, with the agent socket (or none) in the environment. */
export function viaShim(
  command: string,
  opts: {
    id: string;
    netns: string;
    socket: string;
    hostNetns: string;
    path: string[];
    extraEnv?: Record<string, string>;
  },
  conf: object,
): Promise<PluginRun> {
  return runCni(
    SHIM,
    {
      command,
      containerId: opts.id,
      netns: opts.netns,
      ifname: 'eth0',
      path: opts.path,
      extraEnv: { TRUNKLINE_AGENT_SOCK: opts.socket, ...opts.extraEnv },
    },
    conf,
    opts.hostNetns,
  );
}

export function tempDir(): { path: string; cleanup(): void } {
  const path = mkdtempSync(join(tmpdir(), 'ta-agent-'));
  return { path, cleanup: () => rmSync(path, { recursive: true, force: true }) };
}

export const CNI_PATH = [DIST_CNI, REF_CNI];

/** The lines a logging wrapper (a node stand-in, a plugin wrapper) appended to `file`; none if it never ran. */
export function loggedLines(file: string): string[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return [];
  }
  return text.split('\n').filter(Boolean);
}

/**
 * A scene for a suite: host and pod namespaces and an agent in the host one, made before its tests
 * and removed after them. The fields are set once the suite's `before` has run.
 */
export function agentScene(prefix: string): {
  scene: Scene;
  tmp: { path: string; cleanup(): void };
  host: ReturnType<Scene['host']>;
  pod: { name: string; path: string };
  agent: TestAgent;
} {
  const scene = new Scene(prefix);
  const tmp = tempDir();
  const s = { scene, tmp } as ReturnType<typeof agentScene>;
  before(async () => {
    s.host = scene.host();
    s.pod = scene.netns('p');
    s.agent = await startAgent(s.host.path, tmp.path);
  });
  after(async () => {
    await s.agent?.stop();
    scene.cleanup();
    tmp.cleanup();
  });
  return s;
}
