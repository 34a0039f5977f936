// `trunkline install [--watch]` and `trunkline uninstall`: put Trunkline onto a host (the node
// DaemonSet's install step) and take exactly that back off.

import { existsSync, realpathSync } from 'node:fs';
import { dirname } from 'node:path';
import { errorText } from '../cni/errors.js';
import { type InstallOptions, installOnce } from '../install/install.js';
import { endpointFromEnv, SERVICE_ACCOUNT_DIR } from '../install/kubeconfig.js';
import { uninstall } from '../install/uninstall.js';
import { watchInstall } from '../install/watch.js';
import { parseCommand } from './args.js';
import { missingPrivilege } from './privilege.js';

const INSTALL_HELP = `usage: trunkline install [options]

Copies the CNI shims into the bin dir and the plugin bundles, native parts and agent beside it
(<bin dir>/../{plugins,lib,agent}), writes 00-trunkline.conflist wrapping the conf dir's first
*.conf/*.conflist as clusterNetwork, and (in a pod) the plugins' kubeconfig from the service account.
Every file is replaced atomically; a manifest of what was written goes to the state dir.

options:
  --source DIR                  built dist/ to install (default: the one this command runs from)
  --bin-dir DIR                 CNI bin dir (default /opt/cni/bin)
  --conf-dir DIR                CNI conf dir (default /etc/cni/net.d)
  --payload-dir DIR             plugins/, lib/, agent/ (default: the bin dir's parent)
  --state-dir DIR               install manifest (default /var/lib/trunkline)
  --host-bin-dir DIR            the bin dir as the host sees it (default --bin-dir)
  --host-conf-dir DIR           the conf dir as the host sees it (default --conf-dir)
  --service-account-dir DIR     token and ca.crt (default ${SERVICE_ACCOUNT_DIR} when
                                KUBERNETES_SERVICE_HOST/PORT are set)
  --no-conflist                 the plugins only: no 00-trunkline.conflist and no waiting for a
                                default network (podman, or a conflist of your own)
  --no-kubeconfig               do not write the plugins' kubeconfig
  --no-node                     do not copy this node binary to <payload>/lib/node (the shims'
                                no-agent fallback then needs node on the host)
  --readiness-indicator-file F  written into the conflist: pods wait for F before their ADD
  --log-level L                 written into the conflist
  --cni-dir DIR                 written into the conflist: the meta plugin's delegate cache
  --wait-seconds N              wait up to N s for a default network to appear (default 120)
  --watch                       keep the conflist and kubeconfig current until SIGTERM (never
                                removes them on exit)
  --interval-ms N               how often --watch re-checks besides file events (default 5000)
`;

const UNINSTALL_HELP = `usage: trunkline uninstall [--state-dir DIR]

Removes exactly the files the install manifest lists (putting back any file install displaced) and
the directories install created when they are empty.
`;

function defaultSource(): string {
  // The CLI bundle is dist/bin/trunkline.
  return dirname(dirname(realpathSync(process.argv[1] ?? '.')));
}

function intArg(flag: string, v: string | undefined, fallback: number): number {
  if (v === undefined) return fallback;
  if (!/^\d+$/.test(v)) throw new Error(`${flag}: expected a non-negative integer, found ${v}`);
  return Number(v);
}

export const INSTALL_SPEC = {
  name: 'trunkline install',
  usage: INSTALL_HELP,
  options: {
    source: { type: 'string' },
    'bin-dir': { type: 'string', default: '/opt/cni/bin' },
    'conf-dir': { type: 'string', default: '/etc/cni/net.d' },
    'payload-dir': { type: 'string' },
    'state-dir': { type: 'string', default: '/var/lib/trunkline' },
    'host-bin-dir': { type: 'string' },
    'host-conf-dir': { type: 'string' },
    'service-account-dir': { type: 'string' },
    'no-conflist': { type: 'boolean', default: false },
    'no-kubeconfig': { type: 'boolean', default: false },
    'no-node': { type: 'boolean', default: false },
    'readiness-indicator-file': { type: 'string' },
    'log-level': { type: 'string' },
    'cni-dir': { type: 'string' },
    'wait-seconds': { type: 'string' },
    watch: { type: 'boolean', default: false },
    'interval-ms': { type: 'string' },
  },
} as const;

export async function installCommand(argv: string[]): Promise<number> {
  const p = parseCommand(INSTALL_SPEC, argv);
  if (typeof p === 'number') return p;
  const { values } = p;
  const api = endpointFromEnv(process.env);
  const saDir =
    values['service-account-dir'] ??
    (api !== undefined && existsSync(SERVICE_ACCOUNT_DIR) ? SERVICE_ACCOUNT_DIR : undefined);
  const missing = missingPrivilege({
    writes: [
      values['bin-dir'],
      values['conf-dir'],
      values['state-dir'],
      ...(values['payload-dir'] ? [values['payload-dir']] : []),
    ],
  });
  if (missing !== undefined) {
    process.stderr.write(`trunkline install: ${missing}; nothing was written\n`);
    return 1;
  }
  const opts: InstallOptions = {
    sourceDir: values.source ?? defaultSource(),
    binDir: values['bin-dir'],
    confDir: values['conf-dir'],
    stateDir: values['state-dir'],
    ...(values['payload-dir'] !== undefined ? { payloadDir: values['payload-dir'] } : {}),
    ...(values['host-bin-dir'] !== undefined ? { hostBinDir: values['host-bin-dir'] } : {}),
    ...(values['host-conf-dir'] !== undefined ? { hostConfDir: values['host-conf-dir'] } : {}),
    ...(!values['no-kubeconfig'] && saDir !== undefined && api !== undefined
      ? { serviceAccountDir: saDir, api }
      : {}),
    ...(values['readiness-indicator-file'] !== undefined
      ? { readinessIndicatorFile: values['readiness-indicator-file'] }
      : {}),
    ...(values['log-level'] !== undefined ? { logLevel: values['log-level'] } : {}),
    ...(values['no-node'] ? {} : { nodeBinary: process.execPath }),
    ...(values['cni-dir'] !== undefined ? { cniDir: values['cni-dir'] } : {}),
    ...(values['no-conflist'] ? { conflist: false } : {}),
  };
  if (!values['no-kubeconfig'] && values['service-account-dir'] !== undefined && api === undefined)
    throw new Error(
      '--service-account-dir: expected KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT to be set',
    );
  const log = (s: string) => process.stderr.write(`trunkline install: ${s}\n`);
  const report = (written: string[], net: string | undefined) => {
    for (const f of written) log(`wrote ${f}`);
    if (net === undefined)
      log(`no default network in ${opts.confDir} yet: 00-trunkline.conflist not written`);
  };
  if (values.watch) {
    let last: string | undefined;
    const handle = watchInstall(
      opts,
      intArg('--interval-ms', values['interval-ms'], 5000),
      (r) => {
        const state = r.defaultNetwork ?? '';
        if (r.written.length > 0 || state !== last) report(r.written, r.defaultNetwork);
        last = state;
      },
      (e) => log(`error: ${errorText(e)}`),
    );
    const stop = (sig: string) => {
      log(`${sig}: stopping; the CNI config and binaries stay in place`);
      handle.stop();
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
    await handle.done;
    return 0;
  }
  const deadline = Date.now() + intArg('--wait-seconds', values['wait-seconds'], 120) * 1000;
  for (;;) {
    const r = installOnce(opts);
    if (opts.conflist === false) {
      for (const f of r.written) log(`wrote ${f}`);
      return 0;
    }
    if (r.defaultNetwork !== undefined || Date.now() >= deadline) {
      report(r.written, r.defaultNetwork);
      return r.defaultNetwork !== undefined ? 0 : 1;
    }
    await new Promise((res) => setTimeout(res, 1000));
  }
}

export const UNINSTALL_SPEC = {
  name: 'trunkline uninstall',
  usage: UNINSTALL_HELP,
  options: { 'state-dir': { type: 'string', default: '/var/lib/trunkline' } },
} as const;

export async function uninstallCommand(argv: string[]): Promise<number> {
  const p = parseCommand(UNINSTALL_SPEC, argv);
  if (typeof p === 'number') return p;
  const { values } = p;
  const missing = missingPrivilege({ writes: [values['state-dir']] });
  if (missing !== undefined) {
    process.stderr.write(`trunkline uninstall: ${missing}; nothing was removed\n`);
    return 1;
  }
  const r = uninstall(values['state-dir']);
  for (const f of r.removed) process.stderr.write(`trunkline uninstall: removed ${f}\n`);
  for (const f of r.restored) process.stderr.write(`trunkline uninstall: restored ${f}\n`);
  for (const d of r.keptDirs) process.stderr.write(`trunkline uninstall: kept ${d} (not empty)\n`);
  return 0;
}
