// `trunkline uninstall`: undoes what the manifest says install did, and touches nothing else.
import { readFileSync, rmdirSync, rmSync } from 'node:fs';
import { writeAtomic } from './atomic.js';
import { loadManifest, manifestPath } from './manifest.js';

interface UninstallReport {
  removed: string[];
  restored: string[];
  /** Directories install created that now hold someone else's files, so they stay. */
  keptDirs: string[];
}

export function uninstall(stateDir: string): UninstallReport {
  const m = loadManifest(stateDir);
  const report: UninstallReport = { removed: [], restored: [], keptDirs: [] };
  for (const [path, entry] of Object.entries(m.files)) {
    if (entry.backup) {
      writeAtomic(path, readFileSync(entry.backup.path), entry.backup.mode);
      rmSync(entry.backup.path, { force: true });
      report.restored.push(path);
    } else {
      rmSync(path, { force: true });
      report.removed.push(path);
    }
  }
  rmSync(manifestPath(stateDir), { force: true });
  for (const dir of [...m.dirs].reverse()) {
    try {
      rmdirSync(dir);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOTEMPTY' || code === 'EEXIST') report.keptDirs.push(dir);
      else if (code !== 'ENOENT') throw err;
    }
  }
  return report;
}
