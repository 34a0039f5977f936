// SpiderEndpoint, StatefulSet and KubeVirt reads and writes for fixed IPs, on the Kubernetes source's
// client. A cluster that does not serve SpiderEndpoints (CRD not installed) answers 'unsupported':
// allocation then works as without fixed IPs instead of failing every pod.
import type { SpiderEndpoint } from '../types.js';
import { type Clients, httpStatus } from './client.js';
import type { Raw } from './convert.js';
import { meta } from './convert.js';

export const ENDPOINT = {
  group: 'spiderpool.spidernet.io',
  version: 'v2beta1',
  plural: 'spiderendpoints',
} as const;

const KUBEVIRT = { group: 'kubevirt.io', version: 'v1' } as const;

export function toEndpoint(o: unknown): SpiderEndpoint {
  const raw = o as Raw & { status?: SpiderEndpoint['status'] };
  const m = raw.metadata ?? {};
  const created = m['creationTimestamp'];
  const owners = m['ownerReferences'];
  return {
    metadata: {
      ...meta(m),
      namespace: String(m['namespace'] ?? ''),
      ...(Array.isArray(owners) ? { ownerReferences: owners } : {}),
      ...(created !== undefined
        ? { creationTimestamp: created instanceof Date ? created.toISOString() : String(created) }
        : {}),
    },
    status: raw.status ?? {
      current: { uid: '', node: '', ips: [] },
      ownerControllerType: '',
      ownerControllerName: '',
    },
  };
}

/** Whether the API serves spiderendpoints (asked only after a 404, to tell "no object" from "no kind"). */
export async function servesEndpoints(c: Clients): Promise<boolean> {
  try {
    const list = await c.custom.getAPIResources({ group: ENDPOINT.group, version: ENDPOINT.version });
    return list.resources.some((r) => r.name === ENDPOINT.plural);
  } catch (err) {
    if (httpStatus(err) === 404) return false;
    throw err;
  }
}

export function endpointBody(ep: SpiderEndpoint): Record<string, unknown> {
  return { apiVersion: `${ENDPOINT.group}/${ENDPOINT.version}`, kind: 'SpiderEndpoint', ...ep };
}

export async function readStatefulSet(
  c: Clients,
  namespace: string,
  name: string,
): Promise<{ replicas: number; start: number } | undefined> {
  try {
    const s = (await c.custom.getNamespacedCustomObject({
      group: 'apps',
      version: 'v1',
      plural: 'statefulsets',
      namespace,
      name,
    })) as { spec?: { replicas?: number; ordinals?: { start?: number } }; metadata?: Raw['metadata'] };
    // A StatefulSet being deleted no longer wants any replica.
    if (s.metadata?.['deletionTimestamp']) return { replicas: 0, start: 0 };
    return { replicas: s.spec?.replicas ?? 1, start: s.spec?.ordinals?.start ?? 0 };
  } catch (err) {
    if (httpStatus(err) === 404) return undefined;
    throw err;
  }
}

/** The VirtualMachine's UID (the owner a VM's SpiderEndpoint gets), undefined when there is no VM. */
export async function readVmUid(c: Clients, namespace: string, name: string): Promise<string | undefined> {
  try {
    const vm = (await c.custom.getNamespacedCustomObject({
      ...KUBEVIRT,
      plural: 'virtualmachines',
      namespace,
      name,
    })) as Raw;
    const uid = vm.metadata?.['uid'];
    return typeof uid === 'string' ? uid : undefined;
  } catch (err) {
    if (httpStatus(err) === 404) return undefined;
    throw err;
  }
}

/** Spiderpool's IsValidVMPod: a live VMI, or a VM that exists, is not being deleted and wants to run. */
export async function readVmWanted(c: Clients, namespace: string, name: string): Promise<boolean> {
  const get = async (plural: string) => {
    try {
      return (await c.custom.getNamespacedCustomObject({ ...KUBEVIRT, plural, namespace, name })) as Raw & {
        spec?: { running?: boolean; runStrategy?: string };
      };
    } catch (err) {
      if (httpStatus(err) === 404) return undefined;
      throw err;
    }
  };
  const vmi = await get('virtualmachineinstances');
  if (vmi !== undefined && !vmi.metadata?.['deletionTimestamp']) return true;
  const vm = await get('virtualmachines');
  if (vm === undefined || vm.metadata?.['deletionTimestamp']) return false;
  return vm.spec?.running !== false && vm.spec?.runStrategy !== 'Halted';
}
