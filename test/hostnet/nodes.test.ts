import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { HostConfigError } from '../../src/hostnet/errors.js';
import { parseHostConfigSet, selectHostConfig } from '../../src/hostnet/nodes.js';
import { seedYaml } from './fixtures.js';

const nncp = (name: string, selector: string, nics: [string, string]) => `apiVersion: nmstate.io/v1
kind: NodeNetworkConfigurationPolicy
metadata: {name: ${name}}
spec:
  nodeSelector: ${selector}
  desiredState:
${seedYaml({ nics, bond: 'bond0' })
  .split('\n')
  .map((l) => `    ${l}`)
  .join('\n')}
`;

describe('per-node host config', () => {
  const set = parseHostConfigSet({
    'all.yaml': `interfaces:\n  - {name: eth1, type: ethernet, mtu: 9000}\n`,
    'workers.yaml': nncp('workers', '{node-role.kubernetes.io/worker: ""}', ['ens224', 'ens256']),
    'rack-b.yaml': nncp('rack-b', '{node-role.kubernetes.io/worker: "", rack: b}', ['eno1', 'eno2']),
  });

  it('parses NNCP documents and the short form, named by metadata.name or the file name', () => {
    assert.deepEqual(
      set.map((e) => [e.name, e.nodeSelector]),
      [
        ['all.yaml', {}],
        ['rack-b', { 'node-role.kubernetes.io/worker': '', rack: 'b' }],
        ['workers', { 'node-role.kubernetes.io/worker': '' }],
      ],
    );
  });

  it('picks the matching entry with the most selector keys', () => {
    const worker = { 'node-role.kubernetes.io/worker': '', 'kubernetes.io/hostname': 'n1' };
    assert.equal(selectHostConfig(set, worker)?.name, 'workers');
    assert.equal(selectHostConfig(set, { ...worker, rack: 'b' })?.name, 'rack-b');
    const ports = selectHostConfig(set, { ...worker, rack: 'b' })?.config.interfaces[0];
    assert.deepEqual(ports?.type === 'bond' && ports.bond?.ports, ['eno1', 'eno2']);
    assert.equal(selectHostConfig(set, { 'kubernetes.io/hostname': 'cp1' })?.name, 'all.yaml');
    assert.equal(selectHostConfig(set.slice(1), { 'kubernetes.io/hostname': 'cp1' }), undefined);
  });

  it('rejects two equally specific matches', () => {
    const two = parseHostConfigSet({
      a: 'nodeSelector: {rack: b}\ninterfaces: []\n',
      b: 'nodeSelector: {zone: z1}\ninterfaces: []\n',
    });
    assert.throws(
      () => selectHostConfig(two, { rack: 'b', zone: 'z1' }),
      (e: unknown) => {
        return e instanceof HostConfigError && /host configs a and b both match/.test(e.message);
      },
    );
  });

  it('reports config errors with the document name', () => {
    assert.throws(
      () => parseHostConfigSet({ bad: 'nodeSelector: {rack: 1}\ninterfaces: []\n' }),
      /bad: nodeSelector: expected a mapping of label names to string values/,
    );
  });
});
