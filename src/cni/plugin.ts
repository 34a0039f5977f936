// A plugin is a table of in-process functions. The process entry (skel.ts) and the node agent both
// call through this table, so the agent never has to spawn our own plugins.
import type { CniEnv, NetConf, Result } from './types.js';

export interface Invocation<C extends NetConf = NetConf> {
  env: CniEnv;
  /** Validated configuration, produced by the plugin's loadConf before any side effect. */
  conf: C;
  /** The raw stdin bytes (delegates receive them unchanged where the spec wants that). */
  stdin: Buffer;
  /** Decoded prevResult in canonical (1.x) form, when the config carried one. */
  prevResult?: Result;
}

export interface Plugin<C extends NetConf = NetConf> {
  /** Executable name, e.g. 'trunkline-macvlan'. */
  name: string;
  /** Validate everything before any side effect; `raw` has passed the shared checks of conf.ts. Throws CniError. */
  loadConf(raw: NetConf, env: CniEnv): C | Promise<C>;
  add(inv: Invocation<C>): Promise<Result>;
  del(inv: Invocation<C>): Promise<void>;
  check(inv: Invocation<C>): Promise<void>;
  status(inv: Invocation<C>): Promise<void>;
  gc(inv: Invocation<C>): Promise<void>;
}

/** What running a command produced: what the process entry prints and its exit code. */
export interface Outcome {
  exitCode: number;
  stdout: string;
}
