// `trunkline install --watch`: installs, then keeps 00-trunkline.conflist and the kubeconfig current
// (the default network's file changed or appeared, the service-account token rotated) until SIGTERM.
// Stopping leaves every file in place: removing the CNI config during a rolling update would fail
// every pod start on the node until the new pod is up (Multus #1527).
import { type FSWatcher, watch } from 'node:fs';
import { type InstallOptions, type InstallResult, installOnce } from './install.js';

interface WatchHandle {
  /** Resolves when the loop has stopped (after stop()). */
  done: Promise<void>;
  stop(): void;
}

export function watchInstall(
  opts: InstallOptions,
  intervalMs: number,
  onPass: (r: InstallResult) => void,
  onError: (e: Error) => void,
): WatchHandle {
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let wake: (() => void) | undefined;
  const watchers: FSWatcher[] = [];
  const nudge = () => wake?.();
  // fs.watch makes a change show up at once; the interval catches what inotify cannot see (a
  // projected token's symlink swap, a directory that did not exist yet).
  for (const dir of [opts.confDir, opts.serviceAccountDir]) {
    if (dir === undefined) continue;
    try {
      watchers.push(watch(dir, nudge));
    } catch {
      // Not there yet: the interval covers it.
    }
  }
  const done = (async () => {
    let first = true;
    while (!stopped) {
      try {
        onPass(installOnce(opts, first));
        first = false;
      } catch (err) {
        onError(err as Error);
      }
      if (stopped) break;
      await new Promise<void>((resolve) => {
        wake = resolve;
        timer = setTimeout(resolve, intervalMs);
      });
      clearTimeout(timer);
    }
    for (const w of watchers) w.close();
  })();
  return {
    done,
    stop() {
      stopped = true;
      wake?.();
    },
  };
}
