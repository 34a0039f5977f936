// The meta config's logFile with Multus's rotation (lumberjack semantics): when a line would push
// the file past maxSize MB it is renamed to "<name>-<UTC time><ext>", a fresh file is started, and
// backups are gzip-compressed and pruned by count (maxBackups) and age (maxAge days; 0 = no limit).
import {
  appendFileSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { basename, dirname, extname, join } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { LogOptions } from '../../multus/config.js';

const MB = 1024 * 1024;
const DAY_MS = 24 * 3600 * 1000;

// lumberjack's backup time format 2006-01-02T15-04-05.000, always UTC here.
const stamp = (d: Date) => d.toISOString().replace(/:/g, '-').replace(/Z$/, '');

function parseStamp(s: string): number | undefined {
  const m = /^(\d{4}-\d\d-\d\dT\d\d)-(\d\d)-(\d\d\.\d{3})$/.exec(s);
  return m !== null ? Date.parse(`${m[1]}:${m[2]}:${m[3]}Z`) : undefined;
}

function sizeOf(file: string): number {
  try {
    return statSync(file).size;
  } catch {
    return 0;
  }
}

/** Backups of `file`, newest first. */
function backups(file: string): { path: string; time: number; gz: boolean }[] {
  const dir = dirname(file);
  const ext = extname(file);
  const prefix = `${basename(file, ext)}-`;
  const out: { path: string; time: number; gz: boolean }[] = [];
  for (const n of readdirSync(dir)) {
    const gz = n.endsWith(`${ext}.gz`);
    if (!n.startsWith(prefix) || !(gz || n.endsWith(ext)) || n === basename(file)) continue;
    const core = n.slice(prefix.length, n.length - ext.length - (gz ? 3 : 0));
    const time = parseStamp(core);
    if (time !== undefined) out.push({ path: join(dir, n), time, gz });
  }
  return out.sort((a, b) => b.time - a.time);
}

function rotate(file: string, opts: LogOptions, now: Date): void {
  const ext = extname(file);
  renameSync(file, join(dirname(file), `${basename(file, ext)}-${stamp(now)}${ext}`));
  const all = backups(file);
  const keep = all.filter(
    (b, i) =>
      (opts.maxBackups === 0 || i < opts.maxBackups) &&
      (opts.maxAge === 0 || now.getTime() - b.time <= opts.maxAge * DAY_MS),
  );
  for (const b of all) if (!keep.includes(b)) rmSync(b.path, { force: true });
  if (!opts.compress) return;
  for (const b of keep.filter((x) => !x.gz)) {
    writeFileSync(`${b.path}.gz`, gzipSync(readFileSync(b.path)));
    rmSync(b.path, { force: true });
  }
}

/** Appends `line`, rotating first when it would not fit. Never throws: logging must not fail CNI. */
export function appendRotating(file: string, line: string, opts: LogOptions, now = new Date()): void {
  try {
    const size = sizeOf(file);
    // lumberjack reads maxSize 0 as its default, 100 MB.
    const limit = (opts.maxSize === 0 ? 100 : opts.maxSize) * MB;
    if (size > 0 && size + Buffer.byteLength(line) > limit) rotate(file, opts, now);
    appendFileSync(file, line, { mode: 0o600 });
  } catch {
    // A full disk or a vanished directory must not turn into a failed ADD.
  }
}
