// The controller as it runs in a cluster: the ServiceAccount and RBAC `kubectl kustomize deploy`
// renders for trunkline-controller, seeded into the test API server, and a token of that service
// account — bound to a named pod, as each replica's token is — so a permission the controller lacks
// (or the deploy tree forgot) fails the test instead of passing as cluster-admin.
import { DEPLOY, type K8sObject, kustomize } from '../deploy/render.js';
import { type KubeApiServer, serviceAccountUser } from '../kube-apiserver/server.js';

export const CONTROLLER_SA = { namespace: 'kube-system', name: 'trunkline-controller' };
const RBAC = new Set(['ServiceAccount', 'ClusterRole', 'ClusterRoleBinding', 'Role', 'RoleBinding']);

let rendered: K8sObject[] | undefined;

/** The controller's ServiceAccount, roles and bindings from the deploy tree. */
export function controllerRbac(): K8sObject[] {
  rendered ??= kustomize(DEPLOY).filter((o) => RBAC.has(o.kind) && o.metadata.name === CONTROLLER_SA.name);
  if (!rendered.some((o) => o.kind === 'ClusterRoleBinding'))
    throw new Error('expected the deploy tree to bind a ClusterRole to trunkline-controller, found none');
  return rendered;
}

/** A kubeconfig of the controller's service account (as pod `pod`), its RBAC seeded on first use. */
export function asController(api: KubeApiServer, pod = 'trunkline-controller-0'): string {
  for (const o of controllerRbac())
    if (api.get(o.apiVersion, o.kind, o.metadata.namespace, o.metadata.name) === undefined) api.seed([o]);
  return api.kubeconfigFor(serviceAccountUser(CONTROLLER_SA.namespace, CONTROLLER_SA.name, pod));
}

/** The requests the controller's service account made that RBAC denied (each one a missing rule). */
export function denied(api: KubeApiServer): string[] {
  const sa = `system:serviceaccount:${CONTROLLER_SA.namespace}:${CONTROLLER_SA.name}`;
  return api.requests
    .filter((r) => r.user?.username === sa && r.allowed === false)
    .map((r) => `${r.verb} ${r.path}`);
}
