// The built-in kinds every test API server serves, with the printer columns `kubectl get` shows.
import { type PrinterColumn, type ResourceType, registerBuiltin } from './resources.js';

const col = (name: string, jsonPath: string, priority = 0, type = 'string'): PrinterColumn => ({
  name,
  type,
  jsonPath,
  priority,
});

type Status = {
  phase?: string;
  podIP?: string;
  containerStatuses?: { ready?: boolean; restartCount?: number }[];
};
const statusOf = (o: Record<string, unknown>) => (o.status ?? {}) as Status;
const orNone = (v: unknown) => (v === undefined || v === '' ? '<none>' : v);

// kubectl's pod columns (NOMINATED NODE and READINESS GATES are never set here).
const podColumns: PrinterColumn[] = [
  {
    ...col('Ready', ''),
    value: (o) => {
      const cs = statusOf(o).containerStatuses ?? [];
      const total = ((o.spec as { containers?: unknown[] } | undefined)?.containers ?? []).length;
      return `${cs.filter((c) => c.ready).length}/${total}`;
    },
  },
  {
    ...col('Status', ''),
    value: (o) =>
      (o.metadata as { deletionTimestamp?: string } | undefined)?.deletionTimestamp
        ? 'Terminating'
        : (statusOf(o).phase ?? 'Pending'),
  },
  {
    ...col('Restarts', '', 0, 'integer'),
    value: (o) => (statusOf(o).containerStatuses ?? []).reduce((n, c) => n + (c.restartCount ?? 0), 0),
  },
  col('Age', '.metadata.creationTimestamp', 0, 'date'),
  { ...col('IP', '', 1), value: (o) => orNone(statusOf(o).podIP) },
  { ...col('Node', '', 1), value: (o) => orNone((o.spec as { nodeName?: string } | undefined)?.nodeName) },
];

const core = (
  plural: string,
  kind: string,
  namespaced: boolean,
  extra: Partial<ResourceType> = {},
): ResourceType => ({ group: '', version: 'v1', plural, kind, namespaced, status: false, ...extra });

const inGroup =
  (group: string, version: string) =>
  (plural: string, kind: string, namespaced: boolean, extra: Partial<ResourceType> = {}): ResourceType => ({
    group,
    version,
    plural,
    kind,
    namespaced,
    status: false,
    ...extra,
  });

const apps = inGroup('apps', 'v1');
const rbac = inGroup('rbac.authorization.k8s.io', 'v1');
const admission = inGroup('admissionregistration.k8s.io', 'v1');

registerBuiltin(
  core('pods', 'Pod', true, {
    status: true,
    statusKeepsMetadata: true,
    shortNames: ['po'],
    categories: ['all'],
    columns: podColumns,
  }),
  core('namespaces', 'Namespace', false, {
    status: true,
    shortNames: ['ns'],
    columns: [col('Status', '.status.phase')],
  }),
  core('nodes', 'Node', false, { status: true, shortNames: ['no'] }),
  core('configmaps', 'ConfigMap', true, { shortNames: ['cm'] }),
  core('secrets', 'Secret', true, { columns: [col('Type', '.type')] }),
  core('serviceaccounts', 'ServiceAccount', true, { shortNames: ['sa'] }),
  core('services', 'Service', true, {
    status: true,
    shortNames: ['svc'],
    categories: ['all'],
    columns: [col('Type', '.spec.type'), col('Cluster-IP', '.spec.clusterIP')],
  }),
  core('events', 'Event', true, { shortNames: ['ev'] }),
  inGroup('events.k8s.io', 'v1')('events', 'Event', true, { shortNames: ['ev'] }),
  apps('daemonsets', 'DaemonSet', true, {
    status: true,
    shortNames: ['ds'],
    categories: ['all'],
    columns: [
      col('Desired', '.status.desiredNumberScheduled', 0, 'integer'),
      col('Current', '.status.currentNumberScheduled', 0, 'integer'),
      col('Ready', '.status.numberReady', 0, 'integer'),
    ],
  }),
  apps('deployments', 'Deployment', true, {
    status: true,
    shortNames: ['deploy'],
    categories: ['all'],
    columns: [col('Ready', '.status.readyReplicas', 0, 'integer')],
  }),
  apps('statefulsets', 'StatefulSet', true, { status: true, shortNames: ['sts'], categories: ['all'] }),
  inGroup('coordination.k8s.io', 'v1')('leases', 'Lease', true, {
    columns: [col('Holder', '.spec.holderIdentity')],
  }),
  rbac('roles', 'Role', true),
  rbac('clusterroles', 'ClusterRole', false),
  rbac('rolebindings', 'RoleBinding', true, { columns: [col('Role', '.roleRef.name')] }),
  rbac('clusterrolebindings', 'ClusterRoleBinding', false, { columns: [col('Role', '.roleRef.name')] }),
  inGroup('apiextensions.k8s.io', 'v1')('customresourcedefinitions', 'CustomResourceDefinition', false, {
    status: true,
    shortNames: ['crd', 'crds'],
  }),
  admission('validatingwebhookconfigurations', 'ValidatingWebhookConfiguration', false),
  admission('mutatingwebhookconfigurations', 'MutatingWebhookConfiguration', false),
  // Served without their CRDs so tests can seed objects directly; applying the project's CRDs
  // replaces these entries with the CRD-defined ones (schema validation, printer columns).
  inGroup('k8s.cni.cncf.io', 'v1')('network-attachment-definitions', 'NetworkAttachmentDefinition', true, {
    shortNames: ['net-attach-def', 'nad'],
    crd: true,
  }),
  inGroup('spiderpool.spidernet.io', 'v2beta1')('spiderippools', 'SpiderIPPool', false, {
    status: true,
    shortNames: ['sp'],
    crd: true,
  }),
  inGroup('spiderpool.spidernet.io', 'v2beta1')('spiderreservedips', 'SpiderReservedIP', false, {
    shortNames: ['sr'],
    crd: true,
  }),
);
