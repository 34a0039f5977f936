// `lab up`: validate the scenario, tear down what a previous run left, write the manifests where
// the plugins' local source reads them, build switch/nodes/pods from kernel devices, attach every
// pod through the meta plugin as a runtime would, then observe and test what was built.

import { existsSync } from 'node:fs';
import { release } from 'node:os';
import { join } from 'node:path';
import { createNamedNetns, deleteNamedNetns, listNamedNetns } from '../kernel/namespaces.js';
import { agentBundle, startAgent } from './agents.js';
import { fallbackAdd, metaAdd, metaPluginBuilt } from './attach.js';
import { attachContext, type LabBase, labDown } from './down.js';
import { writeManifests, writeNodeConfigs } from './files.js';
import { connectivity, mismatches } from './matrix.js';
import { labPods, nodeNs, statePaths, switchNs, switchPorts } from './names.js';
import { observeNode, observePod, poolReports, poolViolations, readAllocations } from './observe.js';
import { Progress } from './progress.js';
import { Recorder, readRecord, writeJson } from './record.js';
import { buildNode, buildSwitch, routeOverlay } from './topology.js';
import type { LabPod, LabReport, RunInfo, Scenario, Variant } from './types.js';

export const FLAT_LABEL = 'flat variant (host kernel, no 802.1q/bonding)';
const vlanLabel = (s: Scenario): string => {
  const bond = s.nodes[0]?.host?.interfaces.find((i) => i.type === 'bond');
  return `vlan variant (802.1q trunk${bond ? `, ${bond.name} of ${bond.type === 'bond' ? (bond.bond?.ports?.length ?? 0) : 0} NICs` : ''})`;
};

function runInfo(s: Scenario, variant: Variant, attach: RunInfo['attach'], agents: boolean): RunInfo {
  const where = process.env['TRUNKLINE_IN_VM'] === '1' ? 'vm' : 'host';
  return {
    variant,
    label: variant === 'flat' ? FLAT_LABEL : vlanLabel(s),
    kernel: `Linux ${release()} (${where === 'vm' ? 'Debian kernel in the qemu VM runner' : 'host kernel'})`,
    where,
    attach,
    agents,
    scenario: s.file,
    startedAt: new Date().toISOString(),
  };
}

/** Removes a previous run: its record if any, and namespaces this scenario would create. */
async function recover(base: LabBase, s: Scenario, pods: LabPod[]): Promise<void> {
  const paths = statePaths(base.stateDir);
  const prev = readRecord(paths.record);
  if (prev !== undefined) {
    base.say(
      `A previous lab (${prev.scenario}, started ${prev.startedAt}) is still recorded: tearing it down first`,
    );
    await labDown(base);
  }
  const ours = new Set([
    switchNs(base.prefix),
    ...s.nodes.map((n) => nodeNs(base.prefix, n.name)),
    ...pods.map((p) => p.netns),
  ]);
  const left = (await listNamedNetns()).filter((n) => ours.has(n));
  if (left.length > 0) {
    base.say(`Removing namespaces a half-built run left behind: ${left.join(', ')}`);
    for (const n of left.reverse()) await deleteNamedNetns(n);
  }
}

const parallel = async <T>(items: T[], limit: number, fn: (t: T) => Promise<void>) => {
  const queue = [...items];
  const errors: unknown[] = [];
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      for (let t = queue.shift(); t !== undefined; t = queue.shift())
        await fn(t).catch((e) => errors.push(e));
    }),
  );
  if (errors.length > 0) throw errors[0];
};

export async function labUp(base: LabBase, s: Scenario, variant: Variant): Promise<LabReport> {
  const k = base.kernel;
  const paths = statePaths(base.stateDir);
  const pods = labPods(s, base.prefix);
  await recover(base, s, pods);
  const attach = metaPluginBuilt(base.pluginDir) ? 'meta-plugin' : 'conflist-fallback';
  const agents = attach === 'meta-plugin' && (base.agents ?? existsSync(agentBundle(base.pluginDir)));
  const run = runInfo(s, variant, attach, agents);
  base.say(`Trunkline lab "${s.name}" from ${s.file}`);
  base.say(`  ${run.label}; kernel: ${run.kernel}`);
  if (attach === 'conflist-fallback')
    base.say(
      `  ! ${join(base.pluginDir, 'trunkline')} is not built: FALLBACK — each NAD's conflist runs directly, without the meta plugin`,
    );
  const p = new Progress(base.say);
  const rec = new Recorder(paths.record, {
    version: 1,
    prefix: base.prefix,
    scenario: s.file,
    variant,
    where: run.where,
    startedAt: run.startedAt,
    pluginDir: base.pluginDir,
    refPluginDir: base.refPluginDir,
    attach,
    namespaces: [],
    nodes: s.nodes.map((n) => ({ name: n.name, netns: nodeNs(base.prefix, n.name) })),
    pods,
    attached: [],
    agents: [],
  });
  await p.step(`write manifests and node configs to ${paths.root}`, async () => {
    writeManifests(s, pods, paths);
    writeNodeConfigs(s, paths, base.pluginDir);
  });
  const ports = switchPorts(s, variant);
  await buildSwitch(k, p, rec, s, variant, base.prefix);
  for (const n of s.nodes) await buildNode(k, p, rec, n, ports, variant, base.prefix);
  if (s.nodes.length > 1) await routeOverlay(k, p, s, base.prefix);
  if (agents) {
    await p.step(`nodes: start one agent per node (${agentBundle(base.pluginDir)})`, () =>
      Promise.all(
        s.nodes.map((n) => startAgent(paths, base.pluginDir, base.prefix, n.name, (a) => rec.agent(a))),
      ),
    );
  }
  await p.step(`pods: ${pods.length} namespaces (${pods.map((x) => x.netns).join(', ')})`, async () => {
    for (const pod of pods) {
      rec.namespace(pod.netns);
      await createNamedNetns(pod.netns);
    }
  });
  const ctx = attachContext(base, rec.rec);
  const inVm = run.where === 'vm';
  // The fallback sets NODE_NAME in this process's environment: one pod at a time there.
  await parallel(pods, attach === 'meta-plugin' ? (inVm ? 2 : 4) : 1, async (pod) => {
    const how =
      attach === 'meta-plugin'
        ? `CNI ADD via trunkline${agents ? ' (shim → node agent)' : ''}`
        : 'CNI ADD (fallback: conflists)';
    await p.step(`${pod.namespace}/${pod.name} on ${pod.node}: ${how}`, async () => {
      rec.attached(pod.containerId);
      if (attach === 'meta-plugin')
        writeJson(join(paths.results, `${pod.containerId}.json`), await metaAdd(ctx, pod));
      else await fallbackAdd(s, ctx, pod);
    });
  });
  const report = await p.step('observe pods, nodes, pools; ping every pair', async () => {
    const allocations = await readAllocations(paths);
    const podReports = await Promise.all(pods.map((x) => observePod(k, s, paths, x, allocations)));
    const nodes = await Promise.all(s.nodes.map((n) => observeNode(k, n.name, nodeNs(base.prefix, n.name))));
    const matrix = await connectivity(podReports, s.expectations);
    const violations = poolViolations(s, podReports, pods);
    const bad = mismatches(matrix);
    const r: LabReport = {
      run,
      steps: [],
      switch: {
        netns: switchNs(base.prefix),
        vlans: s.vlans,
        routing: s.routing,
        ports: ports.map((x) => ({ name: x.name, node: x.node, nic: x.nic, vlans: x.vlans })),
      },
      nodes,
      pods: podReports,
      matrix,
      pools: poolReports(s, allocations, pods),
      mismatches: bad,
      poolViolations: violations,
      ok: bad.length === 0 && violations.length === 0,
    };
    return r;
  });
  report.steps = p.steps;
  writeJson(paths.report, report);
  return report;
}

/** --flat or the scenario's own `variant: flat`. */
export const variantOf = (s: Scenario, flat: boolean): Variant =>
  flat || s.variant === 'flat' ? 'flat' : 'vlan';
