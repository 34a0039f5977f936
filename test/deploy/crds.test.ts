// The CRDs deploy/ ships are the ones Spiderpool and Multus ship, as far as a cluster can tell: same
// group, version, kind, scope, names, printer columns and status subresource, so objects created for
// either keep being served. Their schemas accept what Spiderpool's docs show and reject what
// Spiderpool's schema rejects (validated with ajv against the openAPIV3Schema).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parseAllDocuments } from 'yaml';
import { ROOT } from '../helpers/paths.js';
import { crdValidator } from './crd-schema.js';
import { DEPLOY, type K8sObject, kustomize } from './render.js';

// Compiled tests run from build/test/deploy: the fixtures stay in the source tree.
const FIXTURES = join(ROOT, 'test', 'deploy', 'fixtures');

function load(file: string): K8sObject[] {
  return parseAllDocuments(readFileSync(join(FIXTURES, file), 'utf8')).map((d) => d.toJS() as K8sObject);
}

interface CrdSpec {
  group: string;
  scope: string;
  names: {
    kind: string;
    plural: string;
    singular: string;
    shortNames?: string[];
    listKind?: string;
    categories?: string[];
  };
  versions: {
    name: string;
    served: boolean;
    storage: boolean;
    subresources?: { status?: object };
    additionalPrinterColumns?: { name: string; type: string; jsonPath: string; priority?: number }[];
  }[];
}

// What Spiderpool v1.x (charts/spiderpool/crds) and Multus (deployments/multus-daemonset.yml) define.
const UPSTREAM: Record<
  string,
  {
    group: string;
    version: string;
    scope: string;
    plural: string;
    short: string[];
    status: boolean;
    columns: string[];
  }
> = {
  NetworkAttachmentDefinition: {
    group: 'k8s.cni.cncf.io',
    version: 'v1',
    scope: 'Namespaced',
    plural: 'network-attachment-definitions',
    short: ['nad', 'net-attach-def'],
    status: false,
    columns: [],
  },
  SpiderIPPool: {
    group: 'spiderpool.spidernet.io',
    version: 'v2beta1',
    scope: 'Cluster',
    plural: 'spiderippools',
    short: ['sp'],
    status: true,
    columns: [
      'VERSION=.spec.ipVersion',
      'SUBNET=.spec.subnet',
      'ALLOCATED-IP-COUNT=.status.allocatedIPCount',
      'TOTAL-IP-COUNT=.status.totalIPCount',
      'DEFAULT=.spec.default',
      'DISABLE=.spec.disable/10',
      'NodeName=.spec.nodeName/10',
      'MultusName=.spec.multusName/10',
      "APP-NAMESPACE=.spec.podAffinity.matchLabels['ipam\\.spidernet\\.io/app\\-namespace']/10",
    ],
  },
  SpiderReservedIP: {
    group: 'spiderpool.spidernet.io',
    version: 'v2beta1',
    scope: 'Cluster',
    plural: 'spiderreservedips',
    short: ['sr'],
    status: false,
    columns: ['VERSION=.spec.ipVersion'],
  },
  SpiderEndpoint: {
    group: 'spiderpool.spidernet.io',
    version: 'v2beta1',
    scope: 'Namespaced',
    plural: 'spiderendpoints',
    short: ['se'],
    status: false,
    columns: [
      'INTERFACE=.status.current.ips[0].interface',
      'IPV4POOL=.status.current.ips[0].ipv4Pool',
      'IPV4=.status.current.ips[0].ipv4',
      'IPV6POOL=.status.current.ips[0].ipv6Pool',
      'IPV6=.status.current.ips[0].ipv6',
      'NODE=.status.current.node',
    ],
  },
  SpiderMultusConfig: {
    group: 'spiderpool.spidernet.io',
    version: 'v2beta1',
    scope: 'Namespaced',
    plural: 'spidermultusconfigs',
    short: ['smc'],
    status: false,
    columns: [],
  },
};

describe('CRDs', () => {
  const crds = kustomize(join(DEPLOY, 'base', 'crds'));
  const byKind = new Map(crds.map((c) => [(c['spec'] as CrdSpec).names.kind, c]));

  it('match Spiderpool and Multus in group, version, scope, names, printer columns and subresources', () => {
    assert.deepEqual([...byKind.keys()].sort(), Object.keys(UPSTREAM).sort());
    for (const [kind, want] of Object.entries(UPSTREAM)) {
      const spec = byKind.get(kind)!['spec'] as CrdSpec;
      assert.equal(byKind.get(kind)!.metadata.name, `${want.plural}.${want.group}`);
      assert.equal(spec.group, want.group, kind);
      assert.equal(spec.scope, want.scope, kind);
      assert.equal(spec.names.plural, want.plural, kind);
      assert.deepEqual(spec.names.shortNames, want.short, kind);
      assert.deepEqual(
        spec.versions.map((v) => [v.name, v.served, v.storage]),
        [[want.version, true, true]],
        kind,
      );
      const v = spec.versions[0]!;
      assert.equal(v.subresources?.status !== undefined, want.status, `${kind} status subresource`);
      const cols = (v.additionalPrinterColumns ?? []).map(
        (c) => `${c.name}=${c.jsonPath}${c.priority ? `/${c.priority}` : ''}`,
      );
      assert.deepEqual(cols, want.columns, `${kind} printer columns`);
    }
  });

  it("accept every shape Spiderpool's docs show", () => {
    for (const o of load('spiderpool-examples.yaml')) {
      const v = crdValidator(byKind.get(o.kind)!, o.apiVersion.split('/')[1]!);
      assert.ok(v(o), `${o.kind} ${o.metadata.name}: ${JSON.stringify(v.errors)}`);
    }
  });

  it("reject what Spiderpool's schema rejects", () => {
    const broken = load('broken-examples.yaml');
    assert.ok(broken.length >= 10);
    for (const o of broken) {
      const v = crdValidator(byKind.get(o.kind)!, o.apiVersion.split('/')[1]!);
      const why = (o.metadata['annotations'] as Record<string, string>)['why'];
      assert.equal(v(o), false, `${o.kind} ${o.metadata.name} should be rejected: ${why}`);
    }
  });
});
