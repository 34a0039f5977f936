// Runs CNI executables the way a runtime does (env + stdin, result on stdout), optionally inside a
// namespace via nsenter so the plugin's "host" is a namespace the test made.
import { spawn } from 'node:child_process';

export interface PluginRun {
  code: number;
  stdout: string;
  stderr: string;
  json: Record<string, unknown> | undefined;
}

export interface CniCall {
  command: string;
  containerId?: string;
  netns?: string;
  ifname?: string;
  args?: string;
  path: string[];
  extraEnv?: Record<string, string>;
}

export function cniEnv(c: CniCall): Record<string, string> {
  const env: Record<string, string> = {
    PATH: process.env['PATH'] ?? '/usr/sbin:/usr/bin:/sbin:/bin',
    CNI_COMMAND: c.command,
    CNI_PATH: c.path.join(':'),
  };
  if (c.containerId !== undefined) env['CNI_CONTAINERID'] = c.containerId;
  if (c.netns !== undefined) env['CNI_NETNS'] = c.netns;
  if (c.ifname !== undefined) env['CNI_IFNAME'] = c.ifname;
  if (c.args !== undefined) env['CNI_ARGS'] = c.args;
  return { ...env, ...c.extraEnv };
}

/**
 * `hostNetns` is the path of the namespace the plugin runs in (its "host"); `onStart` gets the pid of
 * the plugin process (nsenter execs it) as soon as it runs.
 */
export function runCni(
  file: string,
  call: CniCall,
  stdin: string | object,
  hostNetns?: string,
  onStart?: (pid: number) => void,
): Promise<PluginRun> {
  const argv = hostNetns ? ['nsenter', `--net=${hostNetns}`, file] : [file];
  const input = typeof stdin === 'string' ? stdin : JSON.stringify(stdin);
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0]!, argv.slice(1), { env: cniEnv(call), stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => {
      stdout += c.toString();
    });
    child.stderr.on('data', (c: Buffer) => {
      stderr += c.toString();
    });
    child.on('error', reject);
    if (onStart && child.pid !== undefined) onStart(child.pid);
    child.stdin.on('error', () => {});
    child.on('close', (code) => {
      let json: Record<string, unknown> | undefined;
      try {
        json = stdout.trim() ? (JSON.parse(stdout) as Record<string, unknown>) : undefined;
      } catch {
        json = undefined;
      }
      resolve({ code: code ?? 1, stdout, stderr, json });
    });
    child.stdin.end(input);
  });
}
