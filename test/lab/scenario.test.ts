// Scenario validation: the shipped scenarios load; the broken one fails before anything is built,
// with one message per mistake naming the manifest (file:line, kind and name) and the field.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { LabScenarioError, type ScenarioIssue } from '../../src/lab/errors.js';
import { switchPorts } from '../../src/lab/names.js';
import { loadScenario, parseScenario } from '../../src/lab/scenario/load.js';
import { validateScenario } from '../../src/lab/scenario/validate.js';
import { EXAMPLES } from './run-cli.js';

const issuesOf = (file: string): ScenarioIssue[] => {
  try {
    loadScenario(file);
  } catch (e) {
    if (e instanceof LabScenarioError) return e.issues;
    throw e;
  }
  assert.fail(`${file} loaded without problems`);
};

/** 1-based line of the first line of `file` containing `needle` after the line containing `after`. */
function lineOf(file: string, needle: string, after = ''): number {
  const lines = readFileSync(file, 'utf8').split('\n');
  const start = after === '' ? 0 : lines.findIndex((l) => l.includes(after));
  const i = lines.findIndex((l, n) => n >= start && l.includes(needle));
  assert.ok(i >= 0, `${needle} not in ${file}`);
  return i + 1;
}

describe('lab scenarios', () => {
  it('loads the shipped default and flat scenarios', () => {
    const seed = loadScenario(join(EXAMPLES, 'lab.yaml'));
    assert.equal(seed.variant, 'vlan');
    assert.deepEqual(
      seed.vlans.map((v) => [v.id, v.gateway, v.subnet]),
      [
        [100, '10.100.0.1/24', '10.100.0.0/24'],
        [200, '10.200.0.1/24', '10.200.0.0/24'],
        [300, undefined, '10.30.0.0/24'],
      ],
    );
    assert.deepEqual(
      seed.nodes.map((n) => [n.name, n.nics, n.host?.interfaces.map((i) => i.name)]),
      [
        ['node1', ['ens224', 'ens256'], ['bond0', 'bond0.100', 'bond0.200', 'bond0.300']],
        ['node2', ['ens224', 'ens256'], ['bond0', 'bond0.100', 'bond0.200', 'bond0.300']],
      ],
    );
    assert.equal(seed.manifests.filter((m) => m.kind === 'Pod').length, 6);
    assert.equal(seed.expectations.length, 21);
    // vlan: every NIC on a trunk port; flat: one port per VLAN interface, named like it.
    assert.deepEqual(
      switchPorts(seed, 'vlan').map((p) => `${p.name}:${p.nic}:${p.vlans.join('/')}`),
      [
        'node1-ens224:ens224:100/200/300',
        'node1-ens256:ens256:100/200/300',
        'node2-ens224:ens224:100/200/300',
        'node2-ens256:ens256:100/200/300',
      ],
    );
    assert.deepEqual(
      switchPorts(seed, 'flat')
        .map((p) => `${p.name}:${p.nic}:${p.vlans.join('/')}`)
        .slice(0, 3),
      ['node1-v100:bond0.100:100', 'node1-v200:bond0.200:200', 'node1-v300:bond0.300:300'],
    );
    const flat = loadScenario(join(EXAMPLES, 'lab-flat.yaml'));
    assert.equal(flat.variant, 'flat');
    // Bare pod names in expectations resolve to the pod's own namespace.
    assert.ok(flat.expectations.every((e) => e.from.namespace === 'shop' && e.to.namespace === 'shop'));
  });

  it('names manifest, line and field for each mistake of the broken scenario', () => {
    const file = join(EXAMPLES, 'lab-broken.yaml');
    const issues = issuesOf(file);
    const find = (object: string, field: string) => {
      const hit = issues.find((i) => i.object === object && i.field === field);
      assert.ok(
        hit,
        `no issue for ${object} ${field} in:\n${issues.map((i) => JSON.stringify(i)).join('\n')}`,
      );
      return hit;
    };
    const unknown = find(
      'Pod default/uses-unknown-nad',
      'metadata.annotations["k8s.v1.cni.cncf.io/networks"]',
    );
    assert.match(
      unknown.message,
      /NetworkAttachmentDefinition kube-system\/macvlan-standalone-vlan999 does not exist/,
    );
    assert.ok(
      unknown.where.endsWith(
        `lab-broken.yaml:${lineOf(file, 'macvlan-standalone-vlan999', 'name: uses-unknown-nad')}`,
      ),
      unknown.where,
    );

    const wrongVlan = find('SpiderIPPool vlan200-v4', 'spec.subnet');
    assert.match(wrongVlan.message, /10\.100\.0\.0\/24 is not in VLAN 200's subnet 10\.200\.0\.0\/24/);
    assert.match(wrongVlan.message, /default\/wrong-vlan-pool net1/);
    assert.ok(
      wrongVlan.where.endsWith(
        `lab-broken.yaml:${lineOf(file, 'subnet: 10.100.0.0/24', 'name: vlan200-v4')}`,
      ),
      wrongVlan.where,
    );

    const overlay = find(
      'Pod default/overlay-as-default',
      'metadata.annotations["v1.multus-cni.io/default-network"]',
    );
    assert.match(
      overlay.message,
      /kube-system\/macvlan-overlay-vlan200 is an overlay network.*cannot be the default network/,
    );

    const exhausted = find('SpiderIPPool tiny-v4', 'spec.ips');
    assert.match(
      exhausted.message,
      /exhausted: pod default\/tiny-2 eth0 gets no address; tiny-v4 has 1 usable/,
    );
    assert.ok(
      exhausted.where.endsWith(`lab-broken.yaml:${lineOf(file, 'ips: [10.100.0.100]', 'name: tiny-v4')}`),
      exhausted.where,
    );
    assert.equal(issues.length, 4, issues.map((i) => `${i.object} ${i.field}: ${i.message}`).join('\n'));
  });

  it('reports unknown nodes, unknown pods in expectations and masters no node has', () => {
    const text = `
apiVersion: lab.trunkline.io/v1alpha1
kind: Lab
metadata: {name: t}
spec:
  variant: flat
  switch: {vlans: [{id: 100, gateway: 10.100.0.1/24}]}
  nodes: [{name: node1}]
  expect: {reachable: [{from: a, to: ghost}]}
---
apiVersion: k8s.cni.cncf.io/v1
kind: NetworkAttachmentDefinition
metadata: {name: n, namespace: kube-system}
spec: {config: '{"cniVersion":"1.0.0","name":"n","type":"trunkline-macvlan","master":"eth9"}'}
---
apiVersion: v1
kind: Pod
metadata: {name: a, annotations: {v1.multus-cni.io/default-network: n}}
spec: {nodeName: node7}
`;
    const { scenario, issues } = parseScenario('/tmp/t.yaml', text);
    assert.ok(scenario);
    issues.push(...validateScenario(scenario));
    const byField = (f: string) => issues.filter((i) => i.field === f).map((i) => i.message);
    assert.match(byField('spec.nodeName')[0] ?? '', /unknown node "node7" \(lab nodes: node1\)/);
    assert.match(
      byField('spec.config')[0] ?? '',
      /master "eth9" is not an interface of any lab node \(node1: vlan100\)/,
    );
    assert.match(byField('spec.expect.reachable[0].to')[0] ?? '', /pod default\/ghost is not defined/);
  });
});
