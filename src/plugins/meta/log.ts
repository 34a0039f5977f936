// The meta plugin's logger. When its config names logLevel, logFile, logToStderr or logOptions
// (Multus's 00-multus.conf keys) those decide where lines go and which are kept; otherwise the
// process-wide settings (TRUNKLINE_LOG_*) apply, as for every other plugin.
import { type Level, type LogFields, type Logger, logger } from '../../cni/log.js';
import type { LogLevel } from '../../multus/config.js';
import { appendRotating } from './logfile.js';
import type { MetaConf } from './types.js';

const ORDER: Record<Level, number> = { debug: 10, info: 20, warn: 30, error: 40 };

// Multus's levels are panic < error < verbose < debug, and it prints warnings at error level; our
// lines are debug/info/warn/error, with error reserved for internal faults (Multus's panic).
const THRESHOLD: Record<LogLevel, Level> = {
  debug: 'debug',
  verbose: 'info',
  info: 'info',
  warn: 'warn',
  error: 'warn',
  panic: 'error',
};

export function metaLogger(conf: MetaConf, base: LogFields): Logger {
  if (!conf.logConfigured) return logger(base);
  const min = ORDER[THRESHOLD[conf.logLevel ?? 'panic']];
  const write = (level: Level, msg: string, f?: LogFields) => {
    if (ORDER[level] < min) return;
    const line = `${JSON.stringify({ ts: new Date().toISOString(), level, msg, ...base, ...f })}\n`;
    if (conf.logFile !== undefined) appendRotating(conf.logFile, line, conf.logOptions);
    if (conf.logToStderr) process.stderr.write(line);
  };
  return {
    debug: (msg, f) => write('debug', msg, f),
    info: (msg, f) => write('info', msg, f),
    warn: (msg, f) => write('warn', msg, f),
    error: (msg, f) => write('error', msg, f),
  };
}
