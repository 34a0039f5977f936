// Structured JSON-line logs. Never stdout: stdout carries the CNI result. The destination is chosen
// once per process (TRUNKLINE_LOG_FILE, else stderr) so plugins can log from anywhere.
import { appendFileSync } from 'node:fs';

export type Level = 'debug' | 'info' | 'warn' | 'error';
const ORDER: Record<Level, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export interface LogFields {
  containerID?: string;
  netns?: string;
  ifname?: string;
  pod?: string;
  [key: string]: unknown;
}

let sink: ((line: string) => void) | undefined;
let threshold: number | undefined;

function resolveSink(): (line: string) => void {
  const file = process.env['TRUNKLINE_LOG_FILE'];
  if (file) {
    return (line) => {
      try {
        appendFileSync(file, line);
      } catch {
        // Logging must never fail a CNI command.
      }
    };
  }
  return (line) => process.stderr.write(line);
}

export function log(level: Level, msg: string, fields: LogFields = {}): void {
  threshold ??= ORDER[(process.env['TRUNKLINE_LOG_LEVEL'] as Level) ?? 'warn'] ?? ORDER.warn;
  if (ORDER[level] < threshold) return;
  sink ??= resolveSink();
  sink(`${JSON.stringify({ ts: new Date().toISOString(), level, msg, ...fields })}\n`);
}

/** Binds the invocation's identity so every line carries containerID, netns, ifname and pod. */
export function logger(base: LogFields) {
  return {
    debug: (msg: string, f?: LogFields) => log('debug', msg, { ...base, ...f }),
    info: (msg: string, f?: LogFields) => log('info', msg, { ...base, ...f }),
    warn: (msg: string, f?: LogFields) => log('warn', msg, { ...base, ...f }),
    error: (msg: string, f?: LogFields) => log('error', msg, { ...base, ...f }),
  };
}
export type Logger = ReturnType<typeof logger>;

/**
 * An error as a log field: its stack, then each `cause` down the chain with what a kernel error carries
 * (the command, its stderr and errno), so a wrapped failure still shows where it came from.
 */
export function errorChain(err: unknown): string {
  const parts: string[] = [];
  const seen = new Set<unknown>();
  for (let e = err, first = true; e !== undefined && e !== null && !seen.has(e); first = false) {
    seen.add(e);
    const x = e as {
      stack?: string;
      message?: string;
      argv?: unknown;
      stderr?: unknown;
      errno?: unknown;
      cause?: unknown;
    };
    const text = first ? (x.stack ?? String(e)) : `caused by: ${x.message ?? String(e)}`;
    const argv = Array.isArray(x.argv) && x.argv.length > 0 ? ` [argv: ${x.argv.join(' ')}]` : '';
    const stderr =
      typeof x.stderr === 'string' && x.stderr.trim() !== '' ? ` [stderr: ${x.stderr.trim()}]` : '';
    const errno = typeof x.errno === 'string' && x.errno !== '' ? ` [errno: ${x.errno}]` : '';
    parts.push(`${text}${argv}${stderr}${errno}`);
    e = x.cause;
  }
  return parts.join('\n');
}
