// The Spiderpool release this suite holds trunkline-ipam to. Every case names the file of that
// release it is drawn from (rewritten as our own table rows, not copied); cases marked `ours` assert a
// difference the README lists with its reason.
export const SPIDERPOOL = {
  repo: 'spidernet-io/spiderpool',
  tag: 'v1.2.2',
  commit: 'c2ca1249e83569543069584a3ec06724ec80fa18',
} as const;

/** Multus's delegate environment (pkg/types/conf.go createRuntimeConf at k8snetworkplumbingwg/multus-cni 95a0932). */
export const multusArgs = (ns: string, name: string, sandbox: string, uid: string): string =>
  `IgnoreUnknown=true;K8S_POD_NAMESPACE=${ns};K8S_POD_NAME=${name};K8S_POD_INFRA_CONTAINER_ID=${sandbox};K8S_POD_UID=${uid}`;
