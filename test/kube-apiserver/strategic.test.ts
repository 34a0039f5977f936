// Strategic merge patch as kubectl's client-side apply sends it (table-driven).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { strategicMergePatch } from './strategic.js';

const cases: { name: string; target: unknown; patch: unknown; want: unknown }[] = [
  {
    name: 'containers merge by name: one changed, the other kept',
    target: {
      containers: [
        { name: 'a', image: 'a:1' },
        { name: 'b', image: 'b:1' },
      ],
    },
    patch: { containers: [{ name: 'b', image: 'b:2' }] },
    want: {
      containers: [
        { name: 'a', image: 'a:1' },
        { name: 'b', image: 'b:2' },
      ],
    },
  },
  {
    name: '$patch: delete removes one list item',
    target: {
      volumes: [
        { name: 'x', emptyDir: {} },
        { name: 'y', emptyDir: {} },
      ],
    },
    patch: { volumes: [{ name: 'x', $patch: 'delete' }] },
    want: { volumes: [{ name: 'y', emptyDir: {} }] },
  },
  {
    name: '$setElementOrder orders the merged list',
    target: {
      env: [
        { name: 'A', value: '1' },
        { name: 'B', value: '2' },
      ],
    },
    patch: {
      '$setElementOrder/env': [{ name: 'C' }, { name: 'A' }, { name: 'B' }],
      env: [{ name: 'C', value: '3' }],
    },
    want: {
      env: [
        { name: 'C', value: '3' },
        { name: 'A', value: '1' },
        { name: 'B', value: '2' },
      ],
    },
  },
  {
    name: '$retainKeys drops the keys it does not list',
    target: { strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1 } } },
    patch: { strategy: { $retainKeys: ['type'], type: 'OnDelete' } },
    want: { strategy: { type: 'OnDelete' } },
  },
  {
    name: '$deleteFromPrimitiveList removes values; finalizers merge as a set',
    target: { metadata: { finalizers: ['a', 'b'] } },
    patch: { metadata: { '$deleteFromPrimitiveList/finalizers': ['a'], finalizers: ['b', 'c'] } },
    want: { metadata: { finalizers: ['b', 'c'] } },
  },
  {
    name: 'null deletes a key; lists without a merge key are replaced',
    target: { metadata: { labels: { a: '1', b: '2' } }, args: ['x', 'y'] },
    patch: { metadata: { labels: { a: null } }, args: ['z'] },
    want: { metadata: { labels: { b: '2' } }, args: ['z'] },
  },
  {
    name: 'container ports merge by containerPort, service ports by port',
    target: {
      c: { ports: [{ containerPort: 80, name: 'http' }] },
      s: { ports: [{ port: 53, protocol: 'UDP' }] },
    },
    patch: { c: { ports: [{ containerPort: 443 }] }, s: { ports: [{ port: 53, name: 'dns' }] } },
    want: {
      c: { ports: [{ containerPort: 80, name: 'http' }, { containerPort: 443 }] },
      s: { ports: [{ port: 53, protocol: 'UDP', name: 'dns' }] },
    },
  },
  {
    name: '$patch: replace replaces a map wholesale',
    target: { selector: { a: '1', b: '2' } },
    patch: { selector: { $patch: 'replace', c: '3' } },
    want: { selector: { c: '3' } },
  },
];

describe('strategic merge patch', () => {
  for (const c of cases) {
    test(c.name, () => {
      assert.deepEqual(strategicMergePatch(c.target, c.patch), c.want);
    });
  }
});
