// CNI_* environment parsing with the Go skel's validation rules and codes.
import { parseCniArgs } from './args.js';
import { invalidEnv } from './errors.js';
import type { CniCommand, CniEnv } from './types.js';

const COMMANDS: readonly CniCommand[] = ['ADD', 'DEL', 'CHECK', 'VERSION', 'STATUS', 'GC'];

// Which commands require which variables (CNI spec 1.1, Go skel).
const REQUIRED: Record<string, readonly CniCommand[]> = {
  CNI_CONTAINERID: ['ADD', 'DEL', 'CHECK'],
  CNI_NETNS: ['ADD', 'CHECK'],
  CNI_IFNAME: ['ADD', 'DEL', 'CHECK'],
  CNI_PATH: ['ADD', 'DEL', 'CHECK', 'GC'],
};

const CONTAINER_ID = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;
/**
 * Longest container ID accepted. Runtimes use 64 hex digits (or a 36-character UUID); plugins name
 * files after it (the meta plugin's cache: <id>.<ifname>.<pid>.tmp), which must fit NAME_MAX (255).
 */
const MAX_CONTAINER_ID = 200;

/** Interface-name rules of the Go library (utils.ValidateInterfaceName). */
export function validateIfname(name: string): string | undefined {
  if (name === '') return 'interface name is empty';
  if (name.length > 15)
    return `interface name is too long: "${name}" has ${name.length} characters, at most 15 allowed`;
  if (name === '.' || name === '..') return `interface name is . or ..: "${name}"`;
  if (/[/:\s]/.test(name)) return `interface name contains / or : or whitespace characters: "${name}"`;
  return undefined;
}

export function parseEnv(env: Record<string, string | undefined>): CniEnv {
  const command = env['CNI_COMMAND'] ?? '';
  if (command === '') throw invalidEnv('required env variables [CNI_COMMAND] missing');
  if (!(COMMANDS as readonly string[]).includes(command)) {
    throw invalidEnv(`unknown CNI_COMMAND: ${command}`, `expected one of ${COMMANDS.join(', ')}`);
  }
  const cmd = command as CniCommand;
  const missing = Object.entries(REQUIRED)
    .filter(([v, cmds]) => cmds.includes(cmd) && !env[v])
    .map(([v]) => v);
  if (missing.length > 0) throw invalidEnv(`required env variables [${missing.join(' ')}] missing`);

  const containerId = env['CNI_CONTAINERID'] ?? '';
  if (containerId !== '' && !CONTAINER_ID.test(containerId)) {
    throw invalidEnv(
      `invalid characters in containerID: "${containerId}"`,
      `must match ${CONTAINER_ID.source}`,
    );
  }
  if (containerId.length > MAX_CONTAINER_ID) {
    throw invalidEnv(
      `containerID is ${containerId.length} characters long`,
      `at most ${MAX_CONTAINER_ID}: plugins name files after it`,
    );
  }
  const ifname = env['CNI_IFNAME'] ?? '';
  if (REQUIRED['CNI_IFNAME']?.includes(cmd)) {
    const bad = validateIfname(ifname);
    if (bad) throw invalidEnv(bad);
  }
  const path = (env['CNI_PATH'] ?? '').split(':').filter((p) => p !== '');
  return {
    command: cmd,
    containerId,
    netns: env['CNI_NETNS'] ?? '',
    ifname,
    args: parseCniArgs(env['CNI_ARGS'] ?? ''),
    path,
  };
}
