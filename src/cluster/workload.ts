// Which workloads keep their pods' addresses across pod re-creation (Spiderpool's fixed IPs), and
// whether such a workload still wants a given pod: a StatefulSet wants ordinals [start, start +
// replicas); a KubeVirt VMI (or its VM) wants its virt-launcher pods while it runs. Shared by the
// IPAM (ADD/DEL) and the IP GC so both judge a pod the same way.
import type { ControllerRef, PodInfo } from './types.js';

export const KIND_STS = 'StatefulSet';
export const KIND_VMI = 'VirtualMachineInstance';

const STS_POD = /^(.+)-(\d+)$/;
// virt-launcher-<vmi>-<5 random chars>
const VIRT_LAUNCHER = /^virt-launcher-(.+)-[a-z0-9]{5}$/;

export interface Workload {
  /** ownerControllerType / ownerControllerName as Spiderpool records them ("Pod" when none). */
  kind: string;
  name: string;
  /** The SpiderEndpoint's name: the pod's, or the VMI's (one endpoint across the VM's pods). */
  endpointName: string;
  fixed: boolean;
  controller?: ControllerRef;
}

export function workloadOf(pod: PodInfo): Workload {
  const c = pod.controller;
  const name = pod.metadata.name;
  if (c?.kind === KIND_STS && c.apiVersion.startsWith('apps/'))
    return { kind: KIND_STS, name: c.name, endpointName: name, fixed: true, controller: c };
  if (c?.kind === KIND_VMI && c.apiVersion.startsWith('kubevirt.io/'))
    return { kind: KIND_VMI, name: c.name, endpointName: c.name, fixed: true, controller: c };
  if (c !== undefined) return { kind: c.kind, name: c.name, endpointName: name, fixed: false, controller: c };
  return { kind: 'Pod', name, endpointName: name, fixed: false };
}

/** The StatefulSet a pod name says it belongs to, when the name has an ordinal. */
export function stsOfName(podName: string): string | undefined {
  return STS_POD.exec(podName)?.[1];
}

/** The VMI a virt-launcher pod name says it runs. */
export function vmiOfName(podName: string): string | undefined {
  return VIRT_LAUNCHER.exec(podName)?.[1];
}

export function stsWants(
  podName: string,
  stsName: string,
  sts: { replicas: number; start: number } | undefined,
): boolean {
  const m = STS_POD.exec(podName);
  if (sts === undefined || m === null || m[1] !== stsName) return false;
  const ordinal = Number(m[2]);
  return ordinal >= sts.start && ordinal < sts.start + sts.replicas;
}

/** Spiderpool's IsPodAlive: not being deleted and not finished. */
export function podAlive(pod: PodInfo): boolean {
  return pod.deletionTimestamp === undefined && pod.phase !== 'Succeeded' && pod.phase !== 'Failed';
}
