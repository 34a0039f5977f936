// Each component's RBAC equals the hand-written list of what it needs (deploy/base/<c>/needs.yaml):
// a permission nobody wrote a reason for, or a need the role does not grant, fails here.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import { DEPLOY, type K8sObject, kustomize } from './render.js';

interface Need {
  group: string;
  resource: string;
  verbs: string[];
  namespace?: string;
  why: string;
}

interface Rule {
  apiGroups: string[];
  resources: string[];
  verbs: string[];
}

const key = (ns: string, group: string, resource: string, verb: string) =>
  `${ns}|${group}|${resource}|${verb}`;

/** Every (namespace or "*", group, resource, verb) the roles bound to `sa` grant. */
function granted(objs: K8sObject[], sa: string): string[] {
  const [saNs, saName] = sa.split('/');
  const out: string[] = [];
  for (const b of objs.filter((o) => o.kind === 'ClusterRoleBinding' || o.kind === 'RoleBinding')) {
    const subjects = b['subjects'] as { kind: string; name: string; namespace?: string }[];
    if (!subjects.some((s) => s.kind === 'ServiceAccount' && s.name === saName && s.namespace === saNs))
      continue;
    const ref = b['roleRef'] as { kind: string; name: string };
    const role = objs.find((o) => o.kind === ref.kind && o.metadata.name === ref.name);
    assert.ok(role, `${b.kind} ${b.metadata.name} refers to a missing ${ref.kind} ${ref.name}`);
    const ns = b.kind === 'RoleBinding' ? (b.metadata.namespace ?? '') : '*';
    for (const r of role['rules'] as Rule[])
      for (const g of r.apiGroups)
        for (const res of r.resources)
          for (const v of r.verbs) {
            assert.ok(g !== '*' && res !== '*' && v !== '*', `${role.metadata.name}: no wildcards`);
            out.push(key(ns, g, res, v));
          }
  }
  return out.sort();
}

describe('RBAC matches each component’s needs list', () => {
  const objs = kustomize(DEPLOY);
  for (const component of ['node', 'controller']) {
    it(`trunkline-${component}`, () => {
      const doc = parse(readFileSync(join(DEPLOY, 'base', component, 'needs.yaml'), 'utf8')) as {
        serviceAccount: string;
        needs: Need[];
      };
      const wanted = doc.needs
        .flatMap((n) => {
          assert.ok(n.why && n.why.length > 10, `${n.resource}: every need says why`);
          return n.verbs.map((v) => key(n.namespace ?? '*', n.group, n.resource, v));
        })
        .sort();
      assert.equal(new Set(wanted).size, wanted.length, 'no need listed twice');
      assert.deepEqual(granted(objs, doc.serviceAccount), wanted);
    });
  }
});
