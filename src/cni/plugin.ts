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
  /** Plugin types this call may run in-process when it delegates (everything else is exec'd). */
  registry: Registry;
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

/**
 * The plugin types a caller runs in-process instead of executing them from CNI_PATH: the agent's warm
 * plugins, or a plugin process's own types loaded on first use. Passed with every call, never global,
 * so two agents (or tests) in one process cannot see each other's plugins.
 */
export interface Registry {
  /** `path`: the delegate's CNI_PATH (absent for the process's own type), where libcni would look. */
  get(type: string, path?: readonly string[]): Plugin | Promise<Plugin> | undefined;
}

/** Delegation executes every plugin from CNI_PATH. */
export const EXEC_ONLY: Registry = new Map<string, Plugin>();
