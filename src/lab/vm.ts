// The default scenario on a kernel without 802.1q/bonding: the whole `up` (build, attach, test) and
// `down` run inside the real-kernel VM runner (test/vm/run: Debian's kernel under qemu TCG, the
// host's root read-only). The guest streams its progress and ends with one marker line carrying
// the report as JSON; the host keeps that report for `lab report`.

import { spawn } from 'node:child_process';
import { accessSync, constants, existsSync } from 'node:fs';
import { delimiter, join, resolve } from 'node:path';
import { errorText } from '../cni/errors.js';
import type { LabBase } from './down.js';
import { labDown } from './down.js';
import { statePaths } from './names.js';
import { Recorder, readRecord, writeJson } from './record.js';
import { renderReport } from './render.js';
import type { LabReport, Scenario } from './types.js';
import { labUp } from './up.js';

const REPORT_MARKER = 'TRUNKLINE-LAB-REPORT ';
const GUEST_STATE_DIR = '/run/trunkline-lab-guest';

const onPath = (cmd: string) =>
  (process.env['PATH'] ?? '').split(delimiter).some((d) => {
    try {
      accessSync(join(d, cmd), constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });

/** The repository's VM runner next to the plugins (dist/cni → ../../test/vm/run), when qemu is installed. */
export function vmRunner(pluginDir: string): { runner?: string; why?: string } {
  const runner = resolve(pluginDir, '..', '..', 'test', 'vm', 'run');
  if (!existsSync(runner)) return { why: `no VM runner at ${runner}` };
  if (!onPath('qemu-system-x86_64'))
    return { why: 'qemu-system-x86_64 is not installed (Debian package qemu-system-x86)' };
  return { runner };
}

/** Inside the VM: up, print, down, then the marker line with the report (including what down left). */
export async function labGuest(base: LabBase, s: Scenario): Promise<number> {
  let report: LabReport;
  try {
    report = await labUp(base, s, 'vlan');
  } catch (e) {
    base.say(`lab up failed in the VM: ${errorText(e)}`);
    await labDown(base).catch(() => {});
    return 1;
  }
  process.stdout.write(renderReport(report));
  base.say('Tearing the lab down inside the VM (lab down):');
  report.down = await labDown(base);
  process.stdout.write(`${REPORT_MARKER}${JSON.stringify(report)}\n`);
  const clean =
    report.down.leftoverNamespaces.length === 0 &&
    report.down.leftoverAllocations === 0 &&
    report.down.errors.length === 0;
  return report.ok && clean ? 0 : 1;
}

/** On the host: run the guest, stream its lines, keep its report. */
export async function upInVm(
  base: LabBase,
  s: Scenario,
  runner: string,
  cli: string[],
  opts: { timeoutS?: number; echo?: boolean } = {},
): Promise<{ report?: LabReport; code: number }> {
  const paths = statePaths(base.stateDir);
  if (readRecord(paths.record) !== undefined) await labDown(base);
  new Recorder(paths.record, {
    version: 1,
    prefix: base.prefix,
    scenario: s.file,
    variant: 'vlan',
    where: 'vm',
    startedAt: new Date().toISOString(),
    pluginDir: base.pluginDir,
    refPluginDir: base.refPluginDir,
    attach: 'meta-plugin',
    namespaces: [],
    nodes: [],
    pods: [],
    attached: [],
    agents: [],
  });
  const argv = [
    '--timeout',
    String(opts.timeoutS ?? 1200),
    '--',
    ...cli,
    'lab',
    'guest',
    resolve(s.file),
    // The guest's own state (its /run is a fresh tmpfs); the host keeps only the report.
    '--state-dir',
    GUEST_STATE_DIR,
    '--prefix',
    base.prefix,
    '--plugin-dir',
    base.pluginDir,
    '--ref-plugin-dir',
    base.refPluginDir,
  ];
  let report: LabReport | undefined;
  const code = await new Promise<number>((done) => {
    const child = spawn(runner, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
    let buf = '';
    const onLine = (line: string) => {
      if (line.startsWith(REPORT_MARKER)) {
        try {
          report = JSON.parse(line.slice(REPORT_MARKER.length)) as LabReport;
        } catch (e) {
          base.say(`  ! cannot read the guest's report: ${errorText(e)}`);
        }
      } else if (opts.echo !== false) base.say(`  vm│ ${line}`);
    };
    child.stdout.on('data', (b: Buffer) => {
      buf += b.toString('utf8');
      for (let i = buf.indexOf('\n'); i >= 0; i = buf.indexOf('\n')) {
        onLine(buf.slice(0, i).replace(/\r$/, ''));
        buf = buf.slice(i + 1);
      }
    });
    child.stderr.on('data', (b: Buffer) => base.say(`  vm! ${b.toString('utf8').trimEnd()}`));
    child.on('error', (e) => {
      base.say(`  ! cannot start ${runner}: ${errorText(e)}`);
      done(125);
    });
    child.on('close', (c) => {
      if (buf !== '') onLine(buf);
      done(c ?? 125);
    });
  });
  if (report !== undefined) writeJson(paths.report, report);
  return { ...(report !== undefined ? { report } : {}), code };
}
