// The meta plugin's own configuration, shaped like Multus's 00-multus.conf so existing files carry
// over, plus `source` (where pods and NADs come from). Everything is validated before any side effect.

import { invalidConfig } from '../cni/errors.js';
import type { NetConf, RuntimeConfig } from '../cni/types.js';
import { NAME_RE } from './names.js';
import { isRecord } from './record.js';

const DEFAULTS = {
  multusNamespace: 'kube-system',
  confDir: '/etc/cni/multus/net.d',
  cniDir: '/var/lib/cni/multus',
  binDir: '/opt/cni/bin',
  manifestDir: '/etc/trunkline',
  systemNamespaces: ['kube-system'],
  globalNamespaces: ['default'],
  readinessTimeoutSeconds: 45,
  podNamespace: 'default',
  /** network-attachment-definition-client's fixed base; configurable here so tests need no /run. */
  deviceInfoDir: '/var/run/k8s.cni.cncf.io/devinfo',
  kubeletCheckpointFile: '/var/lib/kubelet/device-plugins/kubelet_internal_checkpoint',
} as const;

/** Multus's logOptions (lumberjack's rotation settings and defaults). */
export interface LogOptions {
  /** Megabytes before the file is rotated. */
  maxSize: number;
  /** Days a rotated file is kept (0: no age limit). */
  maxAge: number;
  /** Rotated files kept (0: no count limit). */
  maxBackups: number;
  compress: boolean;
}
const LOG_OPTION_DEFAULTS: LogOptions = { maxSize: 100, maxAge: 5, maxBackups: 5, compress: true };

export type LogLevel = 'debug' | 'verbose' | 'info' | 'warn' | 'error' | 'panic';
const LOG_LEVELS: readonly LogLevel[] = ['debug', 'verbose', 'info', 'warn', 'error', 'panic'];

interface SourceConf {
  type: 'local' | 'kubernetes';
  /** Local source: directory of manifests (Pods, Namespaces, NADs, pools). */
  manifestDir: string;
  /** Local source: where written pod annotations (network-status) and the IPAM database are kept. */
  stateDir?: string;
  /** Namespace of the pod when the runtime passes K8S_POD_NAME alone (podman). */
  podNamespace: string;
}

/** Normalised configuration: every default applied, every field checked. */
export interface MultusConf extends NetConf {
  clusterNetwork?: string;
  defaultNetworks: string[];
  /** Inline delegate configs (Multus's `delegates`), used when there is no clusterNetwork. */
  delegates?: Record<string, unknown>[];
  systemNamespaces: string[];
  namespaceIsolation: boolean;
  /** Parsed from Multus's comma-separated `globalNamespaces` string (a list is accepted too). */
  nonIsolatedNamespaces: string[];
  multusNamespace: string;
  confDir: string;
  cniDir: string;
  binDir: string;
  readinessindicatorfile?: string;
  /** Multus waits a hard-coded 45 s; configurable here because users ask for it (multus#1461). */
  readinessTimeoutSeconds: number;
  kubeconfig?: string;
  logLevel?: LogLevel;
  logFile?: string;
  /** Multus's default is true. */
  logToStderr: boolean;
  logOptions: LogOptions;
  /** Whether any of logLevel/logFile/logToStderr/logOptions was given: then they, not the
   * environment, steer this plugin's logging. */
  logConfigured: boolean;
  deviceInfoDir: string;
  kubeletCheckpointFile: string;
  retryDeleteOnError: boolean;
  source: SourceConf;
  runtimeConfig?: RuntimeConfig;
}

type Rec = Record<string, unknown>;

function bad(field: string, expected: string, found: unknown): never {
  throw invalidConfig(
    `invalid meta plugin config: "${field}" must be ${expected}, found ${JSON.stringify(found)}`,
  );
}

function str(raw: Rec, key: string): string | undefined {
  const v = raw[key];
  if (v === undefined || v === null || v === '') return undefined;
  if (typeof v !== 'string') bad(key, 'a string', v);
  return v;
}

function strList(raw: Rec, key: string): string[] | undefined {
  const v = raw[key];
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'string' || x === ''))
    bad(key, 'a list of non-empty strings', v);
  return v as string[];
}

function bool(raw: Rec, key: string): boolean {
  const v = raw[key];
  if (v === undefined || v === null) return false;
  if (typeof v !== 'boolean') bad(key, 'true or false', v);
  return v;
}

function absPath(raw: Rec, key: string, dflt: string): string;
function absPath(raw: Rec, key: string): string | undefined;
function absPath(raw: Rec, key: string, dflt?: string): string | undefined {
  const v = str(raw, key);
  if (v !== undefined && !v.startsWith('/')) bad(key, 'an absolute path', v);
  return v ?? dflt;
}

function parseNamespaces(raw: Rec): string[] {
  const v = raw.globalNamespaces;
  if (v === undefined || v === null || v === '') return [...DEFAULTS.globalNamespaces];
  const list =
    typeof v === 'string'
      ? v.split(',').map((s) => s.trim())
      : Array.isArray(v)
        ? v
        : bad('globalNamespaces', 'a comma-separated string of namespaces', v);
  for (const ns of list) {
    if (typeof ns !== 'string' || !NAME_RE.test(ns))
      bad('globalNamespaces', 'a comma-separated list of namespace names', v);
  }
  return list as string[];
}

function parseLogOptions(raw: Rec): LogOptions {
  const v = raw.logOptions;
  if (v === undefined || v === null) return { ...LOG_OPTION_DEFAULTS };
  if (!isRecord(v)) bad('logOptions', 'an object {maxSize, maxAge, maxBackups, compress}', v);
  const out = { ...LOG_OPTION_DEFAULTS };
  for (const k of ['maxSize', 'maxAge', 'maxBackups'] as const) {
    const n = v[k];
    if (n === undefined || n === null) continue;
    if (typeof n !== 'number' || !Number.isInteger(n) || n < 0) bad(`logOptions.${k}`, 'an integer >= 0', n);
    out[k] = n;
  }
  if (v.compress !== undefined && v.compress !== null) {
    if (typeof v.compress !== 'boolean') bad('logOptions.compress', 'true or false', v.compress);
    out.compress = v.compress;
  }
  return out;
}

function parseSource(raw: Rec, kubeconfig: string | undefined): SourceConf {
  const v = raw.source;
  if (v === undefined || v === null) {
    return {
      type: kubeconfig !== undefined ? 'kubernetes' : 'local',
      manifestDir: DEFAULTS.manifestDir,
      podNamespace: DEFAULTS.podNamespace,
    };
  }
  if (!isRecord(v)) bad('source', 'an object {type, manifestDir}', v);
  const type = v.type ?? (kubeconfig !== undefined ? 'kubernetes' : 'local');
  if (type !== 'local' && type !== 'kubernetes') bad('source.type', '"local" or "kubernetes"', type);
  const dir = v.manifestDir ?? DEFAULTS.manifestDir;
  if (typeof dir !== 'string' || !dir.startsWith('/')) bad('source.manifestDir', 'an absolute path', dir);
  const state = v.stateDir;
  if (state !== undefined && (typeof state !== 'string' || !state.startsWith('/'))) {
    bad('source.stateDir', 'an absolute path', state);
  }
  const podNamespace = v.podNamespace ?? DEFAULTS.podNamespace;
  if (typeof podNamespace !== 'string' || !NAME_RE.test(podNamespace)) {
    bad('source.podNamespace', 'a namespace name', podNamespace);
  }
  return { type, manifestDir: dir, podNamespace, ...(state !== undefined ? { stateDir: state } : {}) };
}

/** Validate and normalise the meta plugin config (already JSON-decoded, cniVersion/name checked). */
export function loadMultusConf(raw: unknown): MultusConf {
  if (!isRecord(raw))
    throw invalidConfig(`invalid meta plugin config: expected a JSON object, found ${JSON.stringify(raw)}`);
  const clusterNetwork = str(raw, 'clusterNetwork');
  const delegates = raw.delegates;
  if (delegates !== undefined && delegates !== null) {
    if (!Array.isArray(delegates) || delegates.some((d) => !isRecord(d)))
      bad('delegates', 'a list of CNI configs', delegates);
  }
  const inline = Array.isArray(delegates) && delegates.length > 0 ? (delegates as Rec[]) : undefined;
  if (clusterNetwork === undefined && inline === undefined) {
    throw invalidConfig(
      'invalid meta plugin config: at least one of "clusterNetwork" or "delegates" must be given',
    );
  }
  const multusNamespace = str(raw, 'multusNamespace') ?? DEFAULTS.multusNamespace;
  if (!NAME_RE.test(multusNamespace)) bad('multusNamespace', 'a namespace name', multusNamespace);
  const systemNamespaces = strList(raw, 'systemNamespaces') ?? [...DEFAULTS.systemNamespaces];
  // Multus matches the level case-insensitively and keeps its default for a name it does not know.
  const levelRaw = str(raw, 'logLevel')?.toLowerCase();
  const logLevel = LOG_LEVELS.includes(levelRaw as LogLevel) ? levelRaw : undefined;
  const timeout = raw.readinessTimeoutSeconds ?? DEFAULTS.readinessTimeoutSeconds;
  if (typeof timeout !== 'number' || !(timeout >= 0))
    bad('readinessTimeoutSeconds', 'a number >= 0', timeout);
  const rc = raw.runtimeConfig;
  if (rc !== undefined && rc !== null && !isRecord(rc)) bad('runtimeConfig', 'an object', rc);
  const kubeconfig = absPath(raw, 'kubeconfig');
  const readiness = absPath(raw, 'readinessindicatorfile');
  const logFile = absPath(raw, 'logFile');
  const logToStderr = raw.logToStderr === undefined || raw.logToStderr === null || bool(raw, 'logToStderr');
  const logConfigured = ['logLevel', 'logFile', 'logToStderr', 'logOptions'].some(
    (k) => raw[k] !== undefined && raw[k] !== null,
  );
  // Optional fields are re-added below only when set, so blanks like "clusterNetwork": "" vanish.
  const {
    clusterNetwork: _c,
    delegates: _d,
    kubeconfig: _k,
    readinessindicatorfile: _r,
    logLevel: _l,
    logFile: _f,
    runtimeConfig: _rc,
    ...rest
  } = raw;
  return {
    ...(rest as NetConf),
    defaultNetworks: strList(raw, 'defaultNetworks') ?? [],
    systemNamespaces,
    namespaceIsolation: bool(raw, 'namespaceIsolation'),
    nonIsolatedNamespaces: parseNamespaces(raw),
    multusNamespace,
    confDir: absPath(raw, 'confDir', DEFAULTS.confDir),
    cniDir: absPath(raw, 'cniDir', DEFAULTS.cniDir),
    binDir: absPath(raw, 'binDir', DEFAULTS.binDir),
    readinessTimeoutSeconds: timeout,
    logToStderr,
    logOptions: parseLogOptions(raw),
    logConfigured,
    deviceInfoDir: absPath(raw, 'deviceInfoDir', DEFAULTS.deviceInfoDir),
    kubeletCheckpointFile: absPath(raw, 'kubeletCheckpointFile', DEFAULTS.kubeletCheckpointFile),
    retryDeleteOnError: bool(raw, 'retryDeleteOnError'),
    source: parseSource(raw, kubeconfig),
    ...(clusterNetwork !== undefined ? { clusterNetwork } : {}),
    ...(inline !== undefined ? { delegates: inline } : {}),
    ...(readiness !== undefined ? { readinessindicatorfile: readiness } : {}),
    ...(kubeconfig !== undefined ? { kubeconfig } : {}),
    ...(logLevel !== undefined ? { logLevel: logLevel as LogLevel } : {}),
    ...(logFile !== undefined ? { logFile } : {}),
    ...(isRecord(rc) ? { runtimeConfig: rc as RuntimeConfig } : {}),
  };
}
