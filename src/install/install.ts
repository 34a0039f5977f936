// `trunkline install`: the node DaemonSet's install step, usable by hand on any host. Copies the
// payload, writes the plugins' kubeconfig and 00-trunkline.conflist, and records each file it wrote.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { CONFLIST_NAME, findDefaultNetwork, renderConflist } from './conflist.js';
import { type ApiEndpoint, renderKubeconfig } from './kubeconfig.js';
import { Recorder } from './manifest.js';
import { payload } from './payload.js';
import { blobFits } from './snapshot.js';

const KUBECONFIG_PATH = join('trunkline.d', 'trunkline.kubeconfig');

export interface InstallOptions {
  /** A built dist/. */
  sourceDir: string;
  binDir: string;
  confDir: string;
  /** Where plugins/, lib/, agent/ go; the shims look for ../plugins, so the bin dir's parent by default. */
  payloadDir?: string;
  stateDir: string;
  /** The conf and bin dirs as the host sees them when this runs in a container with other mount points. */
  hostConfDir?: string;
  hostBinDir?: string;
  /** With both, the plugins' kubeconfig is written from the service account's token and CA. */
  serviceAccountDir?: string;
  api?: ApiEndpoint;
  readinessIndicatorFile?: string;
  logLevel?: string;
  /** The meta plugin's delegate cache (Multus's cniDir), when not its default /var/lib/cni/multus. */
  cniDir?: string;
  /** Copied to <payload>/lib/node, where the shims find it for their no-agent fallback. */
  nodeBinary?: string;
  /** false: the plugins only, no 00-trunkline.conflist (podman: each network names its NAD itself). */
  conflist?: boolean;
}

export interface InstallResult {
  /** Files whose content changed in this run. */
  written: string[];
  /** The default network wrapped, or undefined when the conf dir has none yet (no conflist written). */
  defaultNetwork: string | undefined;
}

function put(rec: Recorder, out: InstallResult, path: string, data: Buffer | string, mode: number) {
  if (rec.put(path, data, mode)) out.written.push(path);
}

/**
 * One pass; idempotent: a second run with the same inputs writes nothing. `withPayload: false` only
 * refreshes the kubeconfig and the conflist (the watcher's later passes: the payload is the image's).
 */
export function installOnce(opts: InstallOptions, withPayload = true): InstallResult {
  const rec = new Recorder(opts.stateDir);
  const out: InstallResult = { written: [], defaultNetwork: undefined };
  const payloadDir = opts.payloadDir ?? dirname(opts.binDir);
  if (withPayload) {
    for (const f of payload(opts.sourceDir, opts.binDir, payloadDir)) {
      const bundle = f.source.replace(/\.blob$/, '.js');
      if (
        bundle !== f.source &&
        opts.nodeBinary !== undefined &&
        !blobFits(opts.nodeBinary, f.source, bundle)
      )
        continue;
      put(rec, out, f.dest, readFileSync(f.source), f.mode);
    }
    if (opts.nodeBinary !== undefined)
      put(rec, out, join(payloadDir, 'lib', 'node'), readFileSync(opts.nodeBinary), 0o755);
  }
  const hostConfDir = opts.hostConfDir ?? opts.confDir;
  let kubeconfig: string | undefined;
  if (opts.serviceAccountDir !== undefined && opts.api !== undefined) {
    put(
      rec,
      out,
      join(opts.confDir, KUBECONFIG_PATH),
      renderKubeconfig(opts.serviceAccountDir, opts.api),
      0o600,
    );
    kubeconfig = join(hostConfDir, KUBECONFIG_PATH);
  }
  if (opts.conflist === false) {
    rec.save();
    return out;
  }
  rec.ensureDir(opts.confDir);
  out.defaultNetwork = findDefaultNetwork(opts.confDir);
  if (out.defaultNetwork !== undefined) {
    const text = renderConflist(opts.confDir, out.defaultNetwork, {
      hostConfDir,
      hostBinDir: opts.hostBinDir ?? opts.binDir,
      ...(kubeconfig !== undefined ? { kubeconfig } : {}),
      ...(opts.readinessIndicatorFile !== undefined
        ? { readinessIndicatorFile: opts.readinessIndicatorFile }
        : {}),
      ...(opts.logLevel !== undefined ? { logLevel: opts.logLevel } : {}),
      ...(opts.cniDir !== undefined ? { cniDir: opts.cniDir } : {}),
    });
    put(rec, out, join(opts.confDir, CONFLIST_NAME), text, 0o644);
  }
  rec.save();
  return out;
}
