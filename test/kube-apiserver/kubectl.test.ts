// The real kubectl 1.32 against the test API server: apply -k (CRD, namespace, custom object,
// DaemonSet, RBAC), get with printer columns and short names, describe, wait, get --watch, RBAC
// denials as kubectl prints them, delete -k. kubectl is required: the test fails without it.
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ROOT } from '../helpers/paths.js';
import { serviceAccountUser } from './auth.js';
import { type KubeApiServer, startKubeApiServer } from './server.js';

const KUBECTL = '/usr/bin/kubectl';
const DEMO = join(ROOT, 'test/kube-apiserver/fixtures/demo');

let api: KubeApiServer;
let dir: string;
before(async () => {
  api = await startKubeApiServer();
  dir = mkdtempSync(join(tmpdir(), 'kubectl-test-'));
});
after(async () => {
  await api.stop();
  rmSync(dir, { recursive: true, force: true });
});

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function kubectl(args: string[], kubeconfig = api.kubeconfigPath): Promise<Run> {
  return new Promise((resolve, reject) => {
    execFile(
      KUBECTL,
      ['--kubeconfig', kubeconfig, '--cache-dir', join(dir, 'cache'), ...args],
      { timeout: 60_000 },
      (err, stdout, stderr) => {
        if (err && typeof err.code !== 'number') reject(err);
        else resolve({ code: typeof err?.code === 'number' ? err.code : 0, stdout, stderr });
      },
    );
  });
}

async function ok(args: string[], kubeconfig?: string): Promise<string> {
  const r = await kubectl(args, kubeconfig);
  assert.equal(r.code, 0, `kubectl ${args.join(' ')} failed: ${r.stderr}`);
  return r.stdout;
}

/** Rows of `kubectl get` output as arrays of cells (columns split on 2+ spaces). */
const rows = (out: string) =>
  out
    .trim()
    .split('\n')
    .map((l) => l.trim().split(/\s{2,}/));

describe('real kubectl against the test kube-apiserver', () => {
  test('kubectl is installed (required, never skipped)', async () => {
    const v = await ok(['version', '--client', '-o', 'json']);
    assert.match(JSON.parse(v).clientVersion.gitVersion, /^v1\.32\./);
  });

  test('apply -k: the CRD first (as on a real cluster), then everything, without --validate=false', async () => {
    const crd = await ok(['apply', '-f', join(DEMO, 'crd.yaml')]);
    assert.equal(
      crd.trim(),
      'customresourcedefinition.apiextensions.k8s.io/widgets.demo.trunkline.io created',
    );
    await ok(['wait', '--for=condition=Established', 'crd/widgets.demo.trunkline.io', '--timeout=30s']);
    const out = await ok(['apply', '-k', DEMO]);
    assert.deepEqual(out.trim().split('\n').sort(), [
      'clusterrole.rbac.authorization.k8s.io/demo-agent created',
      'clusterrolebinding.rbac.authorization.k8s.io/demo-agent created',
      'customresourcedefinition.apiextensions.k8s.io/widgets.demo.trunkline.io unchanged',
      'daemonset.apps/agent created',
      'namespace/demo created',
      'serviceaccount/agent created',
      'widget.demo.trunkline.io/vlan100 created',
    ]);
    const again = await ok(['apply', '-k', DEMO]);
    assert.ok(
      again
        .trim()
        .split('\n')
        .every((l) => l.endsWith(' unchanged')),
      again,
    );
  });

  test('get -o wide shows the CRD printer columns; short names resolve', async () => {
    const api2 = api.get('demo.trunkline.io/v1', 'Widget', undefined, 'vlan100');
    assert.ok(api2);
    api.update({ ...api2, status: { allocatedIPCount: 7 } });
    assert.deepEqual(rows(await ok(['get', 'wd', '-o', 'wide'])), [
      ['NAME', 'VERSION', 'SUBNET', 'ALLOCATED', 'MASTER'],
      ['vlan100', '4', '10.6.0.0/16', '7', 'eth0'],
    ]);
    assert.deepEqual(rows(await ok(['get', 'widgets'])), [
      ['NAME', 'VERSION', 'SUBNET', 'ALLOCATED'],
      ['vlan100', '4', '10.6.0.0/16', '7'],
    ]);
    assert.deepEqual(
      rows(await ok(['get', 'ns', 'demo'])).map((r) => r.slice(0, 2)),
      [
        ['NAME', 'STATUS'],
        ['demo', 'Active'],
      ],
    );
    assert.match(await ok(['get', 'ds', '-n', 'demo']), /^NAME\s+DESIRED\s+CURRENT\s+READY\s+AGE\nagent\s/);
    assert.match(await ok(['get', 'sa', '-n', 'demo', '-o', 'name']), /serviceaccount\/agent/);
    await ok(['run', 'web', '-n', 'demo', '--image=busybox']);
    assert.deepEqual(
      rows(await ok(['get', 'po', '-n', 'demo', '-o', 'wide'])).map((r) => r.filter((_, i) => i !== 4)),
      [
        ['NAME', 'READY', 'STATUS', 'RESTARTS', 'IP', 'NODE'],
        ['web', '0/1', 'Pending', '0', '<none>', '<none>'],
      ],
    );
    const none = await kubectl(['get', 'nad,sp', '-A']);
    assert.equal(none.code, 0);
    assert.match(none.stderr, /No resources found/);
  });

  test('get -o json shows the stored object: pruned and defaulted by the CRD schema', async () => {
    const w = JSON.parse(await ok(['get', 'widget', 'vlan100', '-o', 'json']));
    assert.deepEqual(w.spec, {
      subnet: '10.6.0.0/16',
      vlan: 100,
      extra: { kept: true },
      ipVersion: 4,
      master: 'eth0',
    });
    assert.ok(w.metadata.annotations['kubectl.kubernetes.io/last-applied-configuration']);
  });

  test('kubectl validates on the server: unknown fields fail with a strict decoding error', async () => {
    const extra = join(dir, 'extra.yaml');
    writeFileSync(
      extra,
      'apiVersion: demo.trunkline.io/v1\nkind: Widget\nmetadata: {name: extra}\nspec: {subnet: x, colour: red}\n',
    );
    const r = await kubectl(['apply', '-f', extra]);
    assert.notEqual(r.code, 0);
    assert.match(
      r.stderr,
      /Error from server \(BadRequest\): error when creating ".*extra\.yaml": Widget in version "v1" cannot be handled as a Widget: strict decoding error: unknown field "spec\.colour"/,
    );
    assert.equal(api.get('demo.trunkline.io/v1', 'Widget', undefined, 'extra'), undefined);
  });

  test('an invalid object is rejected with the API server message kubectl prints', async () => {
    const bad = join(dir, 'bad.yaml');
    writeFileSync(
      bad,
      'apiVersion: demo.trunkline.io/v1\nkind: Widget\nmetadata: {name: bad}\nspec: {subnet: x, ipVersion: 5}\n',
    );
    const r = await kubectl(['apply', '-f', bad]);
    assert.notEqual(r.code, 0);
    assert.match(
      r.stderr,
      /The Widget "bad" is invalid: spec\.ipVersion: Unsupported value: 5: supported values: "4", "6"/,
    );
  });

  test('apply of a changed DaemonSet is a strategic merge patch: env merged by name', async () => {
    const ds = join(dir, 'ds.yaml');
    writeFileSync(
      ds,
      readFileSync(join(DEMO, 'daemonset.yaml'), 'utf8').replace(
        'name: B, value: "2"',
        'name: C, value: "3"',
      ),
    );
    assert.equal((await ok(['apply', '-f', ds])).trim(), 'daemonset.apps/agent configured');
    assert.equal(api.requests.filter((r) => r.verb === 'patch' && r.plural === 'daemonsets').length, 1);
    const env = await ok([
      'get',
      'ds',
      '-n',
      'demo',
      'agent',
      '-o',
      'jsonpath={.spec.template.spec.containers[0].env}',
    ]);
    assert.deepEqual(JSON.parse(env), [
      { name: 'A', value: '1' },
      { name: 'C', value: '3' },
    ]);
  });

  test('describe shows the DaemonSet as kubectl formats it', async () => {
    const out = await ok(['describe', 'daemonset', '-n', 'demo', 'agent']);
    assert.match(out, /^Name:\s+agent$/m);
    assert.match(out, /^Selector:\s+app=agent$/m);
    assert.match(out, /Service Account:\s+agent/);
    assert.match(out, /Image:\s+trunkline:dev/);
  });

  test('the service account kubectl is bound by RBAC, with kube-apiserver wording', async () => {
    const sa = api.kubeconfigFor(serviceAccountUser('demo', 'agent'), 'demo');
    assert.match(await ok(['get', 'widgets', '-o', 'name'], sa), /widget\.demo\.trunkline\.io\/vlan100/);
    const del = await kubectl(['delete', 'widget', 'vlan100'], sa);
    assert.notEqual(del.code, 0);
    assert.equal(
      del.stderr.trim(),
      'Error from server (Forbidden): widgets.demo.trunkline.io "vlan100" is forbidden: User "system:serviceaccount:demo:agent" cannot delete resource "widgets" in API group "demo.trunkline.io" at the cluster scope',
    );
    const canI = async (...args: string[]) => (await kubectl(['auth', 'can-i', ...args], sa)).stdout.trim();
    assert.equal(await canI('list', 'widgets.demo.trunkline.io'), 'yes');
    assert.equal(await canI('delete', 'widgets.demo.trunkline.io'), 'no');
    assert.equal(await canI('patch', 'widgets.demo.trunkline.io', '--subresource=status'), 'yes');
    assert.equal(await canI('list', 'pods', '-n', 'demo'), 'no');
    const pods = await kubectl(['get', 'pods'], sa);
    assert.match(
      pods.stderr,
      /pods is forbidden: User "system:serviceaccount:demo:agent" cannot list resource "pods" in API group "" in the namespace "demo"/,
    );
  });

  test('wait --for=condition returns once the condition is set', async () => {
    const waiting = kubectl(['wait', '--for=condition=Ready', 'widget/vlan100', '--timeout=60s']);
    // The wait is established once kubectl has read the object and started watching it.
    await until(() => api.requests.some((r) => r.plural === 'widgets' && r.verb === 'watch'));
    const cur = api.get('demo.trunkline.io/v1', 'Widget', undefined, 'vlan100')!;
    api.update({ ...cur, status: { allocatedIPCount: 7, conditions: [{ type: 'Ready', status: 'True' }] } });
    const r = await waiting;
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim(), 'widget.demo.trunkline.io/vlan100 condition met');
  });

  test('get --watch prints existing objects, then changes as they happen', async () => {
    const child = spawn(KUBECTL, [
      '--kubeconfig',
      api.kubeconfigPath,
      '--cache-dir',
      join(dir, 'cache'),
      'get',
      'wd',
      '--watch',
      '-o',
      'name',
    ]);
    let out = '';
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString();
    });
    try {
      await until(() => out.includes('widget.demo.trunkline.io/vlan100'));
      api.seed([
        {
          apiVersion: 'demo.trunkline.io/v1',
          kind: 'Widget',
          metadata: { name: 'vlan200' },
          spec: { subnet: 'y' },
        },
      ]);
      await until(() => out.includes('widget.demo.trunkline.io/vlan200'));
    } finally {
      child.kill();
    }
  });

  test('delete -k removes everything and waits for it; wait --for=delete on a gone object', async () => {
    // As on a real cluster, the CRD's deletion takes its objects with it, so the Widget may be gone
    // by the time kubectl deletes it.
    const out = await ok(['delete', '-k', DEMO, '--ignore-not-found']);
    assert.match(out, /namespace "demo" deleted/);
    assert.match(
      out,
      /customresourcedefinition\.apiextensions\.k8s\.io "widgets\.demo\.trunkline\.io" deleted/,
    );
    assert.equal(api.list('apps/v1', 'DaemonSet').length, 0, 'the namespace took its DaemonSet with it');
    assert.equal(
      api.registry.byPlural('demo.trunkline.io', 'v1', 'widgets'),
      undefined,
      'the CRD is no longer served',
    );
    await ok(['wait', '--for=delete', 'namespace/demo', '--timeout=10s']);
  });
});

/** Polls `cond` (event-driven tests need a bounded wait on an external process, not a timing claim). */
async function until(cond: () => boolean, timeoutMs = 30_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) assert.fail('condition not reached within the bound');
    await new Promise((r) => setTimeout(r, 20));
  }
}
