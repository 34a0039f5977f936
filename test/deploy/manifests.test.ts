// deploy/ as the real kubectl renders it: every built-in object validates against the upstream
// Kubernetes OpenAPI schemas (kubernetes-models), every custom object against its CRD's schema, and
// the node DaemonSet carries what the issue asks of it.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import {
  MutatingWebhookConfiguration,
  ValidatingWebhookConfiguration,
} from 'kubernetes-models/admissionregistration.k8s.io/v1';
import { CustomResourceDefinition } from 'kubernetes-models/apiextensions.k8s.io/v1';
import { DaemonSet, Deployment } from 'kubernetes-models/apps/v1';
import {
  ClusterRole,
  ClusterRoleBinding,
  Role,
  RoleBinding,
} from 'kubernetes-models/rbac.authorization.k8s.io/v1';
import { Service, ServiceAccount } from 'kubernetes-models/v1';
import { crdValidator } from './crd-schema.js';
import { DEPLOY, find, type K8sObject, kustomize } from './render.js';

const BUILTIN: Record<string, new (data: never) => { validate(): void }> = {
  'apiextensions.k8s.io/v1/CustomResourceDefinition': CustomResourceDefinition,
  'apps/v1/DaemonSet': DaemonSet,
  'apps/v1/Deployment': Deployment,
  'rbac.authorization.k8s.io/v1/ClusterRole': ClusterRole,
  'rbac.authorization.k8s.io/v1/ClusterRoleBinding': ClusterRoleBinding,
  'rbac.authorization.k8s.io/v1/Role': Role,
  'rbac.authorization.k8s.io/v1/RoleBinding': RoleBinding,
  'v1/ServiceAccount': ServiceAccount,
  'v1/Service': Service,
  'admissionregistration.k8s.io/v1/MutatingWebhookConfiguration': MutatingWebhookConfiguration,
  'admissionregistration.k8s.io/v1/ValidatingWebhookConfiguration': ValidatingWebhookConfiguration,
};

function validateAll(objs: K8sObject[]): void {
  const crds = objs.filter((o) => o.kind === 'CustomResourceDefinition');
  for (const o of objs) {
    const Model = BUILTIN[`${o.apiVersion}/${o.kind}`];
    if (Model) {
      assert.doesNotThrow(() => new Model(o as never).validate(), `${o.kind} ${o.metadata.name}`);
      continue;
    }
    const [group, version] = o.apiVersion.split('/');
    const crd = crds.find(
      (c) =>
        (c['spec'] as { group: string; names: { kind: string } }).group === group &&
        (c['spec'] as { names: { kind: string } }).names.kind === o.kind,
    );
    assert.ok(crd, `${o.apiVersion} ${o.kind} ${o.metadata.name}: no CRD and no upstream schema for it`);
    const validate = crdValidator(crd, version ?? '');
    assert.ok(validate(o), `${o.kind} ${o.metadata.name}: ${JSON.stringify(validate.errors)}`);
  }
}

describe('deploy/ rendered by kubectl kustomize', () => {
  const base = kustomize(DEPLOY);
  const seed = kustomize(join(DEPLOY, 'overlays', 'seed'));

  it('has the CRDs, the node DaemonSet, the controller and their RBAC', () => {
    const names = base.map((o) => `${o.kind}/${o.metadata.name}`).sort();
    assert.deepEqual(names, [
      'ClusterRole/trunkline-controller',
      'ClusterRole/trunkline-node',
      'ClusterRoleBinding/trunkline-controller',
      'ClusterRoleBinding/trunkline-node',
      'CustomResourceDefinition/network-attachment-definitions.k8s.cni.cncf.io',
      'CustomResourceDefinition/spiderendpoints.spiderpool.spidernet.io',
      'CustomResourceDefinition/spiderippools.spiderpool.spidernet.io',
      'CustomResourceDefinition/spidermultusconfigs.spiderpool.spidernet.io',
      'CustomResourceDefinition/spiderreservedips.spiderpool.spidernet.io',
      'DaemonSet/trunkline-node',
      'Deployment/trunkline-controller',
      'MutatingWebhookConfiguration/trunkline',
      'Role/trunkline-controller',
      'RoleBinding/trunkline-controller',
      'Service/trunkline-webhook',
      'ServiceAccount/trunkline-controller',
      'ServiceAccount/trunkline-node',
      'ValidatingWebhookConfiguration/trunkline',
    ]);
  });

  it('validates every object against the upstream schemas or its CRD', () => {
    validateAll(base);
    validateAll(seed);
  });

  it('a broken object fails the same validation (the check has teeth)', () => {
    const ds = structuredClone(find(base, 'DaemonSet', 'trunkline-node')) as K8sObject & {
      spec: { template: { spec: { containers: { ports?: unknown }[] } } };
    };
    ds.spec.template.spec.containers[0]!.ports = [{ containerPort: 'healthz' }];
    assert.throws(() => validateAll([ds]), /containerPort must be integer/);
  });

  it('the seed overlay adds four SpiderMultusConfigs (the controller makes the NADs) and a pool per VLAN', () => {
    const extra = seed.filter(
      (o) => !base.some((b) => b.kind === o.kind && b.metadata.name === o.metadata.name),
    );
    assert.deepEqual(extra.map((o) => `${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`).sort(), [
      'SpiderIPPool//vlan100-v4',
      'SpiderIPPool//vlan200-v4',
      'SpiderMultusConfig/kube-system/macvlan-overlay-vlan100',
      'SpiderMultusConfig/kube-system/macvlan-overlay-vlan200',
      'SpiderMultusConfig/kube-system/macvlan-standalone-vlan100',
      'SpiderMultusConfig/kube-system/macvlan-standalone-vlan200',
    ]);
  });

  it('the node DaemonSet: hostNetwork, install step, agent with probes, mounts, no privileged mode', () => {
    type C = {
      name: string;
      command: string[];
      args?: string[];
      securityContext: { privileged?: boolean; capabilities: { add?: string[]; drop: string[] } };
      livenessProbe?: { httpGet: { path: string; port: number } };
      readinessProbe?: { httpGet: { path: string; port: number } };
      volumeMounts: { name: string; mountPath: string; mountPropagation?: string }[];
    };
    const ds = find(base, 'DaemonSet', 'trunkline-node') as unknown as {
      metadata: { namespace: string };
      spec: {
        updateStrategy: { type: string; rollingUpdate: { maxUnavailable: number; maxSurge: number } };
        template: {
          spec: { hostNetwork: boolean; serviceAccountName: string; initContainers: C[]; containers: C[] };
        };
      };
    };
    const pod = ds.spec.template.spec;
    assert.equal(ds.metadata.namespace, 'kube-system');
    assert.equal(pod.hostNetwork, true);
    assert.equal(pod.serviceAccountName, 'trunkline-node');
    assert.deepEqual(
      pod.initContainers.map((c) => c.command),
      [['trunkline', 'install']],
    );
    const agent = pod.containers.find((c) => c.name === 'agent')!;
    assert.deepEqual(agent.command, ['trunkline', 'agent']);
    assert.equal(agent.livenessProbe?.httpGet.path, '/healthz');
    assert.equal(agent.readinessProbe?.httpGet.path, '/readyz');
    assert.ok(agent.args?.includes(`--metrics-port=${agent.livenessProbe?.httpGet.port}`));
    assert.deepEqual(agent.securityContext.capabilities, {
      drop: ['ALL'],
      add: ['NET_ADMIN', 'SYS_ADMIN', 'NET_RAW'],
    });
    for (const c of [...pod.initContainers, ...pod.containers]) {
      assert.notEqual(c.securityContext.privileged, true, `${c.name} must not be privileged`);
      if (c.name !== 'agent') assert.deepEqual(c.securityContext.capabilities, { drop: ['ALL'] });
    }
    const mounts = agent.volumeMounts.map((m) => m.mountPath).sort();
    for (const p of [
      '/opt/cni/bin',
      '/etc/cni/net.d',
      '/run/netns',
      '/var/run/netns',
      '/run/trunkline',
      '/var/lib/trunkline',
    ])
      assert.ok(mounts.includes(p), `agent mounts ${p}`);
    assert.equal(
      agent.volumeMounts.find((m) => m.mountPath === '/run/netns')?.mountPropagation,
      'HostToContainer',
    );
    const watch = pod.containers.find((c) => c.name === 'watch')!;
    assert.deepEqual(watch.command, ['trunkline', 'install']);
    assert.ok(watch.args?.includes('--watch'));
    // The same install flags in both, so the watcher rewrites exactly what the init step wrote.
    assert.deepEqual(
      watch.args?.filter((a) => a !== '--watch'),
      pod.initContainers[0]!.args,
    );
    assert.deepEqual(ds.spec.updateStrategy, {
      type: 'RollingUpdate',
      rollingUpdate: { maxUnavailable: 1, maxSurge: 0 },
    });
  });

  it('the controller Deployment runs `trunkline controller` unprivileged', () => {
    const d = find(base, 'Deployment', 'trunkline-controller') as unknown as {
      spec: {
        template: {
          spec: {
            serviceAccountName: string;
            securityContext: { runAsNonRoot: boolean };
            containers: { command: string[] }[];
          };
        };
      };
    };
    assert.equal(d.spec.template.spec.serviceAccountName, 'trunkline-controller');
    assert.equal(d.spec.template.spec.securityContext.runAsNonRoot, true);
    assert.deepEqual(d.spec.template.spec.containers[0]!.command, ['trunkline', 'controller']);
  });

  it('the webhook is served by every controller replica; unavailable, it never blocks system pods', () => {
    const d = find(base, 'Deployment', 'trunkline-controller') as unknown as {
      spec: {
        template: {
          metadata: { labels: Record<string, string> };
          spec: {
            containers: {
              args?: string[];
              ports?: { name: string; containerPort: number }[];
              readinessProbe?: { httpGet: { path: string } };
            }[];
          };
        };
      };
    };
    const c = d.spec.template.spec.containers[0]!;
    const port = c.ports?.find((p) => p.name === 'webhook')?.containerPort;
    assert.ok(c.args?.includes(`--webhook-listen=0.0.0.0:${port}`), `serves on the webhook port ${port}`);
    assert.equal(c.readinessProbe?.httpGet.path, '/readyz');
    const svc = find(base, 'Service', 'trunkline-webhook') as unknown as {
      metadata: { namespace: string };
      spec: { selector: Record<string, string>; ports: { port: number; targetPort: number }[] };
    };
    assert.equal(svc.spec.ports[0]!.targetPort, port);
    for (const [k, v] of Object.entries(svc.spec.selector))
      assert.equal(d.spec.template.metadata.labels[k], v, 'the Service selects the controller pods');
    type Hook = {
      name: string;
      failurePolicy: string;
      timeoutSeconds: number;
      clientConfig: { service: { namespace: string; name: string; port: number } };
      rules: { resources: string[] }[];
      namespaceSelector?: { matchExpressions?: { key: string; operator: string; values: string[] }[] };
    };
    const hooks = ['MutatingWebhookConfiguration', 'ValidatingWebhookConfiguration'].flatMap(
      (k) => (find(base, k, 'trunkline')['webhooks'] as Hook[]) ?? [],
    );
    for (const h of hooks) {
      assert.ok(h.timeoutSeconds <= 5, `${h.name}: timeoutSeconds ${h.timeoutSeconds}`);
      assert.equal(h.clientConfig.service.name, 'trunkline-webhook');
      assert.equal(h.clientConfig.service.namespace, svc.metadata.namespace);
      assert.equal(h.clientConfig.service.port, svc.spec.ports[0]!.port);
      const podHook = h.rules.some((r) => r.resources.includes('pods'));
      assert.equal(h.failurePolicy, podHook ? 'Ignore' : 'Fail', h.name);
      if (podHook) {
        const out = h.namespaceSelector?.matchExpressions?.find(
          (e) => e.key === 'kubernetes.io/metadata.name' && e.operator === 'NotIn',
        );
        for (const ns of ['kube-system', 'kube-public', 'kube-node-lease'])
          assert.ok(out?.values.includes(ns), `${h.name} never sees pods in ${ns}`);
      }
    }
  });
});
