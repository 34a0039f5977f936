// Decoding of the network configuration on stdin: the checks every plugin shares. Plugin-specific
// validation happens in each plugin's loadConf.
import { CniError, Code, decodeFailure, errorText, invalidConfig } from './errors.js';
import type { NetConf } from './types.js';
import { assertSupported } from './version.js';

/**
 * Deepest config nesting accepted. Real configs nest a handful of levels; deeper values would make
 * recursive code further on (validation, error messages, JSON.stringify) overflow the stack.
 */
const MAX_JSON_DEPTH = 64;

/** Longest file name component (Linux NAME_MAX). */
const NAME_MAX = 255;

/** Nesting depth of JSON text (arrays and objects), strings skipped; linear, no recursion. */
function jsonDepth(text: string): number {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++;
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) max = Math.max(max, ++depth);
    else if (c === 0x5d || c === 0x7d) depth--;
  }
  return max;
}

export function parseJson(stdin: Buffer | string, what = 'network config'): unknown {
  const text = typeof stdin === 'string' ? stdin : stdin.toString('utf8');
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    // The parser's words stay in msg: a runtime shows its user only msg.
    throw new CniError(Code.DecodeFailure, `failed to decode ${what}: ${errorText(e)}`, text.slice(0, 200), {
      cause: e,
    });
  }
  assertShallow(text, what);
  return value;
}

/** Code 7 for JSON text nested deeper than MAX_JSON_DEPTH (call it on any JSON taken from outside). */
export function assertShallow(text: string, what: string): void {
  const depth = jsonDepth(text);
  if (depth > MAX_JSON_DEPTH) {
    throw invalidConfig(
      `${what} is nested ${depth} levels deep`,
      `at most ${MAX_JSON_DEPTH} levels of arrays and objects are accepted`,
    );
  }
}

/** The shared part of every config. A missing cniVersion means 0.1.0, as in the Go library. */
export function parseNetConf(stdin: Buffer | string): NetConf {
  const raw = parseJson(stdin);
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw decodeFailure('failed to decode network config: expected a JSON object');
  }
  const o = raw as Record<string, unknown>;
  const version = o['cniVersion'] ?? '0.1.0';
  if (typeof version !== 'string') throw decodeFailure('"cniVersion" must be a string');
  assertSupported(version);
  for (const k of ['name', 'type'] as const) {
    if (o[k] !== undefined && typeof o[k] !== 'string')
      throw invalidConfig(`"${k}" must be a string, found ${typeof o[k]}`);
  }
  // The spec asks that a network name be safe as a directory name (IPAM stores keep one per network):
  // longer than a path component may be, every file operation on it would fail as an internal error.
  if (typeof o['name'] === 'string' && Buffer.byteLength(o['name']) > NAME_MAX) {
    throw invalidConfig(
      `"name" is ${Buffer.byteLength(o['name'])} bytes long`,
      `a network name is used as a directory name: at most ${NAME_MAX} bytes`,
    );
  }
  if (o['ipam'] !== undefined) {
    const ipam = o['ipam'];
    if (ipam === null || typeof ipam !== 'object' || Array.isArray(ipam))
      throw invalidConfig('"ipam" must be an object');
  }
  return {
    ...o,
    cniVersion: version,
    name: (o['name'] as string) ?? '',
    type: (o['type'] as string) ?? '',
  } as NetConf;
}
