// KubeVirt's VirtualMachine / VirtualMachineInstance (CRDs in a real cluster) for the controller's
// GC tests: its VM-owned pods keep their addresses while the VM wants to run.
import { registerBuiltin } from './resources.js';

const kubevirt = (plural: string, kind: string, shortNames: string[]) => ({
  group: 'kubevirt.io',
  version: 'v1',
  plural,
  kind,
  namespaced: true,
  status: true,
  shortNames,
  crd: true,
});

registerBuiltin(
  kubevirt('virtualmachines', 'VirtualMachine', ['vm', 'vms']),
  kubevirt('virtualmachineinstances', 'VirtualMachineInstance', ['vmi', 'vmis']),
);
