// How a plugin bundle starts: at once (`node <type>.js`), or from a V8 start-up snapshot. The build
// runs each bundle once under `node --build-snapshot`: its modules are evaluated then (with the
// plugin modules the call will load, `preload`), and the heap is saved in <type>.blob next to it;
// the shim starts `node --snapshot-blob <type>.blob <type>.js`, so a call compiles neither the bundle
// nor the Node built-ins it uses (issue 15 §3). Nothing in that heap may belong to a call: the
// registry is made at run time (it looks at the parent process) and the environment is read in
// functions, never into module-level constants.
import { startupSnapshot } from 'node:v8';
import { leaveAsyncContext } from './chain.js';
import type { Registry } from './plugin.js';
import { main } from './skel.js';

/**
 * Runs the plugin `type`, or, while a snapshot is being built, evaluates `preload` (module imports
 * only: no I/O, no plugin constructed) and makes the call the snapshot's main function.
 */
export function start(
  type: string,
  registry: () => Registry,
  preload: readonly (() => Promise<unknown>)[],
): void {
  if (!startupSnapshot.isBuildingSnapshot()) {
    main(type, registry());
    return;
  }
  // The imports settle before the heap is written: the builder drains the event loop first.
  for (const load of preload) void load();
  startupSnapshot.addSerializeCallback(() => {
    leaveAsyncContext();
    // V8 keeps the subject of the last regexp match (RegExp.lastMatch): the warm-up's, without this.
    /^/.exec('');
  });
  startupSnapshot.setDeserializeMainFunction(() => main(type, registry()));
}
