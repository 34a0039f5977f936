// `lab down`: DEL every pod it attached (through the same entry point as ADD, so IPAM releases the
// addresses), delete the namespaces it recorded, remove its state files — and nothing else.

import { existsSync, readdirSync, rmdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { errorText } from '../cni/errors.js';
import { deleteNamedNetns, listNamedNetns } from '../kernel/namespaces.js';
import type { Kernel } from '../kernel/types.js';
import { stopAgent } from './agents.js';
import { type AttachContext, fallbackDel, metaDel } from './attach.js';
import { nodeNs, statePaths } from './names.js';
import { readAllocations } from './observe.js';
import { type LabRecord, readJson, readRecord } from './record.js';
import { loadScenario } from './scenario/load.js';
import type { DownReport, LabPod } from './types.js';

export interface LabBase {
  prefix: string;
  stateDir: string;
  pluginDir: string;
  refPluginDir: string;
  say: (line: string) => void;
  kernel: Kernel;
  /** Run one node agent per simulated node (default: when dist/agent/agent.js exists). */
  agents?: boolean;
}

/** Files and directories the lab writes under its state dir (removed one by one, never `rm -rf dir`). */
const STATE_ENTRIES = [
  'lab.json',
  'report.json',
  'manifests',
  'source',
  'ipam',
  'results',
  'nodes',
  'cni.log',
];

export function attachContext(
  base: LabBase,
  rec: Pick<LabRecord, 'prefix' | 'pluginDir' | 'refPluginDir' | 'agents'>,
): AttachContext {
  const paths = statePaths(base.stateDir);
  return {
    prefix: rec.prefix,
    paths,
    pluginDir: rec.pluginDir,
    refPluginDir: rec.refPluginDir,
    metaConf: (node) => readJson<Record<string, unknown>>(paths.node(node).metaConf) ?? {},
    agentSocket: (node) => rec.agents.find((a) => a.node === node)?.socket,
  };
}

export async function labDown(base: LabBase): Promise<DownReport> {
  const t0 = performance.now();
  const paths = statePaths(base.stateDir);
  const rec = readRecord(paths.record);
  const report: DownReport = {
    removedNamespaces: [],
    podsDeleted: 0,
    errors: [],
    leftoverNamespaces: [],
    leftoverAllocations: 0,
    ms: 0,
  };
  if (rec === undefined) {
    base.say(`  nothing recorded in ${paths.record}: no lab to remove`);
    removeState(base.stateDir);
    report.ms = Math.round(performance.now() - t0);
    return report;
  }
  const existing = new Set(await listNamedNetns());
  const ctx = attachContext(base, rec);
  const due = rec.pods.filter((p) => rec.attached.includes(p.containerId));
  const del = async (pod: LabPod) => {
    const t = performance.now();
    if (!existing.has(nodeNs(rec.prefix, pod.node)) || !existing.has(pod.netns)) {
      base.say(`  - ${pod.namespace}/${pod.name}: namespace already gone, nothing to DEL in the kernel`);
      return;
    }
    try {
      if (rec.attach === 'meta-plugin')
        await metaDel(ctx, pod, readJson(join(paths.results, `${pod.containerId}.json`)));
      else await fallbackDel(loadScenario(rec.scenario), ctx, pod);
      report.podsDeleted++;
      base.say(
        `  ✓ CNI DEL ${pod.namespace}/${pod.name} on ${pod.node} (${Math.round(performance.now() - t)} ms)`,
      );
    } catch (e) {
      const msg = `CNI DEL ${pod.namespace}/${pod.name}: ${errorText(e)}`;
      report.errors.push(msg);
      base.say(`  ✗ ${msg}`);
    }
  };
  // The fallback sets NODE_NAME in this process's environment: one pod at a time there.
  const lanes = rec.attach === 'meta-plugin' ? (rec.where === 'vm' ? 2 : 4) : 1;
  const queue = [...due];
  await Promise.all(
    Array.from({ length: lanes }, async () => {
      for (let pod = queue.shift(); pod !== undefined; pod = queue.shift()) await del(pod);
    }),
  );
  for (const a of rec.agents ?? []) {
    if (await stopAgent(a)) base.say(`  ✓ stopped the agent of ${a.node} (pid ${a.pid})`);
  }
  const ids = new Set(rec.pods.map((p) => p.containerId));
  report.leftoverAllocations = (await readAllocations(paths)).filter((a) => ids.has(a.containerId)).length;
  if (report.leftoverAllocations > 0)
    base.say(
      `  ! ${report.leftoverAllocations} allocation(s) of lab pods were still held after DEL (removed with the state)`,
    );
  for (const ns of [...rec.namespaces].reverse()) {
    if (!existing.has(ns)) continue;
    try {
      await deleteNamedNetns(ns);
      report.removedNamespaces.push(ns);
    } catch (e) {
      report.errors.push(`delete namespace ${ns}: ${errorText(e)}`);
    }
  }
  base.say(
    `  ✓ deleted ${report.removedNamespaces.length} namespace(s): ${report.removedNamespaces.join(', ') || 'none'}`,
  );
  const after = new Set(await listNamedNetns());
  report.leftoverNamespaces = rec.namespaces.filter((n) => after.has(n));
  removeState(base.stateDir);
  base.say(`  ✓ removed the lab state in ${base.stateDir}`);
  report.ms = Math.round(performance.now() - t0);
  return report;
}

function removeState(dir: string): void {
  if (!existsSync(dir)) return;
  for (const e of STATE_ENTRIES) rmSync(join(dir, e), { recursive: true, force: true });
  try {
    if (readdirSync(dir).length === 0) rmdirSync(dir);
  } catch {
    // not empty (someone else's files) or already gone: leave it
  }
}
