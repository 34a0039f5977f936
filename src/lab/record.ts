// What `up` made, written down before each thing is made (so a crash leaves a record `down` and the
// next `up` can act on), and read back by `down` and `report`.
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { AgentRecord } from './agents.js';
import type { LabPod, LabReport, Variant } from './types.js';

export interface LabRecord {
  version: 1;
  prefix: string;
  scenario: string;
  variant: Variant;
  where: 'host' | 'vm';
  startedAt: string;
  pluginDir: string;
  refPluginDir: string;
  attach: 'meta-plugin' | 'conflist-fallback';
  /** Namespaces in creation order (recorded just before each is created). */
  namespaces: string[];
  nodes: { name: string; netns: string }[];
  pods: LabPod[];
  /** Container IDs whose ADD was started (DEL is due for them, even if the ADD failed). */
  attached: string[];
  /** Per-node agents started (recorded as soon as each has a pid). */
  agents: AgentRecord[];
}

export function writeJson(file: string, value: unknown): void {
  mkdirSync(dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(value, null, 2)}\n`);
  renameSync(tmp, file);
}

export function readJson<T>(file: string): T | undefined {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as T;
  } catch {
    return undefined;
  }
}

export class Recorder {
  constructor(
    readonly file: string,
    readonly rec: LabRecord,
  ) {
    writeJson(file, rec);
  }
  namespace(name: string): void {
    if (!this.rec.namespaces.includes(name)) this.rec.namespaces.push(name);
    writeJson(this.file, this.rec);
  }
  agent(a: AgentRecord): void {
    this.rec.agents.push(a);
    writeJson(this.file, this.rec);
  }
  attached(containerId: string): void {
    if (!this.rec.attached.includes(containerId)) this.rec.attached.push(containerId);
    writeJson(this.file, this.rec);
  }
}

export const readRecord = (file: string): LabRecord | undefined => readJson<LabRecord>(file);
export const readReport = (file: string): LabReport | undefined => readJson<LabReport>(file);
