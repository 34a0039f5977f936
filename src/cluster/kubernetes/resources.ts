// The custom resources the Kubernetes source reads and writes, as client-node's CustomObjectsApi names them.
export const NAD = {
  group: 'k8s.cni.cncf.io',
  version: 'v1',
  plural: 'network-attachment-definitions',
} as const;
export const IPPOOL = {
  group: 'spiderpool.spidernet.io',
  version: 'v2beta1',
  plural: 'spiderippools',
} as const;
export const RESERVEDIP = {
  group: 'spiderpool.spidernet.io',
  version: 'v2beta1',
  plural: 'spiderreservedips',
} as const;
