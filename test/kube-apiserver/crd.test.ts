// CustomResourceDefinitions: served on creation (discovery, short names), objects pruned, defaulted
// and validated (ajv) with kube-apiserver's wording, status subresource, unserved on deletion.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import * as k8s from '@kubernetes/client-node';
import { parse } from 'yaml';
import { ROOT } from '../helpers/paths.js';
import { apiError } from './api-error.js';
import { type KubeApiServer, startKubeApiServer } from './server.js';

const CRD = parse(readFileSync(join(ROOT, 'test/kube-apiserver/fixtures/demo/crd.yaml'), 'utf8')) as Record<
  string,
  unknown
>;
const G = { group: 'demo.trunkline.io', version: 'v1', plural: 'widgets' };

let api: KubeApiServer;
let custom: k8s.CustomObjectsApi;
let ext: k8s.ApiextensionsV1Api;

before(async () => {
  api = await startKubeApiServer();
  const kc = new k8s.KubeConfig();
  kc.loadFromFile(api.kubeconfigPath);
  custom = kc.makeApiClient(k8s.CustomObjectsApi);
  ext = kc.makeApiClient(k8s.ApiextensionsV1Api);
});
after(async () => api.stop());

const widget = (name: string, spec: Record<string, unknown>) => ({
  apiVersion: 'demo.trunkline.io/v1',
  kind: 'Widget',
  metadata: { name },
  spec,
});

describe('test kube-apiserver: CRDs', () => {
  test('before the CRD exists the resource is not served', async () => {
    const err = await apiError(custom.listClusterCustomObject(G));
    assert.equal(err.code, 404);
  });

  test('creating the CRD serves the resource, with discovery names, and marks it Established', async () => {
    // Seeded: @kubernetes/client-node's serializer drops enum, default and x-kubernetes-* from
    // CRD schemas (kubectl does not; the kubectl test creates CRDs through the API).
    api.seed([CRD]);
    const kc = new k8s.KubeConfig();
    kc.loadFromFile(api.kubeconfigPath);
    const resources = await kc
      .makeApiClient(k8s.CustomObjectsApi)
      .getAPIResources({ group: G.group, version: G.version });
    const w = resources.resources.find((r) => r.name === 'widgets');
    assert.deepEqual(
      [w?.kind, w?.singularName, w?.namespaced, w?.shortNames, w?.categories],
      ['Widget', 'widget', false, ['wd'], ['demo']],
    );
    assert.ok(resources.resources.some((r) => r.name === 'widgets/status'));
    await new Promise((r) => setImmediate(r));
    const crd = await ext.readCustomResourceDefinition({ name: 'widgets.demo.trunkline.io' });
    assert.equal(crd.status?.conditions?.find((c) => c.type === 'Established')?.status, 'True');
    assert.deepEqual(crd.status?.acceptedNames?.shortNames, ['wd']);
  });

  test('unknown fields are pruned, preserve-unknown-fields keeps them, defaults are applied', async () => {
    const created = (await custom.createClusterCustomObject({
      ...G,
      body: widget('w1', { subnet: '10.0.0.0/24', port: 'http', bogus: 1, extra: { any: { thing: true } } }),
    })) as { spec: Record<string, unknown> };
    assert.deepEqual(created.spec, {
      subnet: '10.0.0.0/24',
      port: 'http',
      extra: { any: { thing: true } },
      ipVersion: 4,
      master: 'eth0',
    });
  });

  const invalid: { name: string; spec: Record<string, unknown>; message: string; causes: unknown[] }[] = [
    {
      name: 'an enum value not in the list',
      spec: { subnet: 's', ipVersion: 5 },
      message:
        'Widget.demo.trunkline.io "bad" is invalid: spec.ipVersion: Unsupported value: 5: supported values: "4", "6"',
      causes: [
        {
          reason: 'FieldValueNotSupported',
          message: 'Unsupported value: 5: supported values: "4", "6"',
          field: 'spec.ipVersion',
        },
      ],
    },
    {
      name: 'a missing required field',
      spec: { vlan: 1 },
      message: 'Widget.demo.trunkline.io "bad" is invalid: spec.subnet: Required value',
      causes: [{ reason: 'FieldValueRequired', message: 'Required value', field: 'spec.subnet' }],
    },
    {
      name: 'a wrong type',
      spec: { subnet: 's', vlan: 'ten' },
      message:
        'Widget.demo.trunkline.io "bad" is invalid: spec.vlan: Invalid value: "string": spec.vlan in body must be of type integer: "string"',
      causes: [
        {
          reason: 'FieldValueInvalid',
          message: 'Invalid value: "string": spec.vlan in body must be of type integer: "string"',
          field: 'spec.vlan',
        },
      ],
    },
    {
      name: 'two problems at once',
      spec: { subnet: 's', vlan: 5000, ipVersion: 7 },
      message:
        'Widget.demo.trunkline.io "bad" is invalid: [spec.ipVersion: Unsupported value: 7: supported values: "4", "6", spec.vlan: Invalid value: 5000: spec.vlan in body should be less than or equal to 4094]',
      causes: [
        {
          reason: 'FieldValueNotSupported',
          message: 'Unsupported value: 7: supported values: "4", "6"',
          field: 'spec.ipVersion',
        },
        {
          reason: 'FieldValueInvalid',
          message: 'Invalid value: 5000: spec.vlan in body should be less than or equal to 4094',
          field: 'spec.vlan',
        },
      ],
    },
    {
      name: 'int-or-string given a boolean',
      spec: { subnet: 's', port: true },
      message:
        'Widget.demo.trunkline.io "bad" is invalid: spec.port: Invalid value: "boolean": spec.port in body must be of type integer,string: "boolean"',
      causes: [
        {
          reason: 'FieldValueInvalid',
          message: 'Invalid value: "boolean": spec.port in body must be of type integer,string: "boolean"',
          field: 'spec.port',
        },
      ],
    },
  ];
  for (const c of invalid) {
    test(`422 Invalid for ${c.name}`, async () => {
      const err = await apiError(custom.createClusterCustomObject({ ...G, body: widget('bad', c.spec) }));
      assert.equal(err.code, 422);
      assert.equal(err.body.reason, 'Invalid');
      assert.equal(err.body.message, c.message);
      assert.deepEqual((err.body.details as { causes: unknown[] }).causes, c.causes);
    });
  }

  test('updates and merge patches are validated too; the status subresource keeps spec', async () => {
    const err = await apiError(
      custom.patchClusterCustomObject(
        { ...G, name: 'w1', body: { spec: { ipVersion: 9 } } },
        k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
      ),
    );
    assert.equal(err.code, 422);
    const cur = (await custom.getClusterCustomObject({ ...G, name: 'w1' })) as Record<string, unknown>;
    await custom.replaceClusterCustomObjectStatus({
      ...G,
      name: 'w1',
      body: { ...cur, spec: { subnet: 'changed' }, status: { allocatedIPCount: 3, junk: 1 } },
    });
    const now = (await custom.getClusterCustomObject({ ...G, name: 'w1' })) as {
      spec: { subnet: string };
      status: unknown;
    };
    assert.equal(now.spec.subnet, '10.0.0.0/24');
    assert.deepEqual(now.status, { allocatedIPCount: 3 });
  });

  test('deleting the CRD stops serving it and removes its objects', async () => {
    await ext.deleteCustomResourceDefinition({ name: 'widgets.demo.trunkline.io' });
    assert.equal((await apiError(custom.listClusterCustomObject(G))).code, 404);
    api.seed([CRD]);
    const list = (await custom.listClusterCustomObject(G)) as { items: unknown[] };
    assert.deepEqual(list.items, []);
  });
});
