// Kinds the controller's tests need beyond the core set: apps/v1 StatefulSet and KubeVirt's
// VirtualMachine / VirtualMachineInstance (CRDs in a real cluster). Registered on import, once.
import { RESOURCES, type ResourceType } from './resources.js';

const KINDS: ResourceType[] = [
  {
    group: 'apps',
    version: 'v1',
    plural: 'statefulsets',
    kind: 'StatefulSet',
    namespaced: true,
    status: true,
  },
  {
    group: 'kubevirt.io',
    version: 'v1',
    plural: 'virtualmachines',
    kind: 'VirtualMachine',
    namespaced: true,
    status: true,
    shortNames: ['vm', 'vms'],
  },
  {
    group: 'kubevirt.io',
    version: 'v1',
    plural: 'virtualmachineinstances',
    kind: 'VirtualMachineInstance',
    namespaced: true,
    status: true,
    shortNames: ['vmi', 'vmis'],
  },
];

for (const k of KINDS)
  if (!RESOURCES.some((r) => r.group === k.group && r.version === k.version && r.plural === k.plural))
    RESOURCES.push(k);
