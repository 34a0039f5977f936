// The NAD each SpiderMultusConfig owns, against the test API server with the real SMC CRD: created
// with a controller owner reference, rewritten when the SMC changes, re-created when deleted by hand;
// a same-named NAD someone else made is left as it is; only the leader writes.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import { loadClients } from '../../src/cluster/kubernetes/client.js';
import { reconcileSmcs } from '../../src/controller/smc/reconcile.js';
import { ROOT } from '../helpers/paths.js';
import { startKubeApiServer } from '../kube-apiserver/server.js';
import { spawnController } from './process.js';

const SMC_API = 'spiderpool.spidernet.io/v2beta1';
const NAD_API = 'k8s.cni.cncf.io/v1';
const CRD = parse(readFileSync(join(ROOT, 'deploy/base/crds/spidermultusconfigs.yaml'), 'utf8')) as Record<
  string,
  unknown
>;

describe('SpiderMultusConfig reconciler', () => {
  it('creates, updates, re-creates its NAD and leaves foreign ones alone', async () => {
    const api = await startKubeApiServer();
    try {
      api.seed([CRD]);
      await new Promise((r) => setImmediate(r));
      const clients = await loadClients(api.kubeconfigPath);
      const custom = clients.custom;
      const G = { group: 'spiderpool.spidernet.io', version: 'v2beta1', plural: 'spidermultusconfigs' };
      const mk = (name: string, spec: Record<string, unknown>) =>
        custom.createNamespacedCustomObject({
          ...G,
          namespace: 'default',
          body: { apiVersion: SMC_API, kind: 'SpiderMultusConfig', metadata: { name }, spec },
        });
      await mk('vlan100', { cniType: 'macvlan', macvlan: { master: ['ens192'], vlanID: 100 } });
      await mk('other', { cniType: 'ipvlan', ipvlan: { master: ['ens192'] } });
      await mk('taken', { cniType: 'macvlan', macvlan: { master: ['ens224'] } });
      api.seed([
        {
          apiVersion: NAD_API,
          kind: 'NetworkAttachmentDefinition',
          metadata: { name: 'taken', namespace: 'default' },
          spec: { config: '{"handwritten":true}' },
        },
      ]);
      const logs: string[] = [];
      const log = (e: string) => logs.push(e);
      const leader = () => true;
      const nad = () => api.get(NAD_API, 'NetworkAttachmentDefinition', 'default', 'vlan100');
      const conf = () => JSON.parse(String((nad()?.['spec'] as { config?: string } | undefined)?.config));

      const first = await reconcileSmcs(clients, leader, log);
      assert.deepEqual(first, {
        created: ['default/vlan100'],
        updated: [],
        foreign: ['default/taken'],
        unsupported: ['default/other'],
      });
      const smc = api.get(SMC_API, 'SpiderMultusConfig', 'default', 'vlan100');
      assert.deepEqual(nad()?.metadata?.ownerReferences, [
        {
          apiVersion: SMC_API,
          kind: 'SpiderMultusConfig',
          name: 'vlan100',
          uid: smc?.metadata?.uid,
          controller: true,
          blockOwnerDeletion: true,
        },
      ]);
      // The CRD's defaults (enableCoordinator, coordinator.mode) reach the chain.
      assert.deepEqual(
        conf().plugins.map((p: { type: string }) => p.type),
        ['trunkline-macvlan', 'trunkline-coordinator'],
      );
      assert.equal(conf().plugins[0].master, 'ens192');
      assert.equal(conf().plugins[0].vlanID, 100);
      assert.equal(api.get(NAD_API, 'NetworkAttachmentDefinition', 'default', 'other'), undefined);
      assert.deepEqual(api.get(NAD_API, 'NetworkAttachmentDefinition', 'default', 'taken')?.['spec'], {
        config: '{"handwritten":true}',
      });
      assert.ok(logs.some((l) => /not owned/.test(l)));

      // Nothing changed: no write.
      const quiet = await reconcileSmcs(clients, leader, log);
      assert.deepEqual([quiet.created, quiet.updated], [[], []]);

      // The SMC changes: the NAD follows, overlay mode marks it.
      const cur = api.get(SMC_API, 'SpiderMultusConfig', 'default', 'vlan100')!;
      api.update({
        ...cur,
        spec: {
          ...(cur['spec'] as object),
          coordinator: { mode: 'overlay' },
          macvlan: { master: ['ens192'], vlanID: 200 },
        },
      });
      // A follower sees the change but must not write.
      await assert.rejects(
        reconcileSmcs(clients, () => false, log),
        /does not hold a valid lease/,
      );
      assert.equal(conf().plugins[0].vlanID, 100);
      assert.deepEqual((await reconcileSmcs(clients, leader, log)).updated, ['default/vlan100']);
      assert.equal(conf().plugins[0].vlanID, 200);
      assert.equal(nad()?.metadata?.annotations?.['trunkline.io/network-mode'], 'overlay');

      // Deleted by hand: re-created.
      api.delete(NAD_API, 'NetworkAttachmentDefinition', 'default', 'vlan100');
      assert.deepEqual((await reconcileSmcs(clients, leader, log)).created, ['default/vlan100']);
      assert.equal(conf().plugins[0].vlanID, 200);
    } finally {
      await api.stop();
    }
  });

  it('the running controller (leader) generates the NAD and re-creates it after a hand deletion', async () => {
    const api = await startKubeApiServer();
    try {
      api.seed([CRD]);
      await new Promise((r) => setImmediate(r));
      api.seed([
        {
          apiVersion: SMC_API,
          kind: 'SpiderMultusConfig',
          metadata: { name: 'live', namespace: 'default', uid: 'smc-live-uid' },
          spec: { cniType: 'macvlan', enableCoordinator: false, macvlan: { master: ['ens192'] } },
        },
      ]);
      const nad = () => api.get(NAD_API, 'NetworkAttachmentDefinition', 'default', 'live');
      const until = async (what: string, ok: () => boolean) => {
        for (let i = 0; i < 600 && !ok(); i++) await new Promise((r) => setTimeout(r, 100));
        assert.ok(ok(), what);
      };
      const ctl = await spawnController(api.kubeconfigPath, 'solo', [
        ...['--lease-duration', '3', '--renew-deadline', '2', '--retry-period', '0.5'],
        ...['--resync', '1'],
      ]);
      try {
        await until('the NAD is generated', () => nad() !== undefined);
        assert.equal(nad()?.metadata?.ownerReferences?.length, 1);
        api.delete(NAD_API, 'NetworkAttachmentDefinition', 'default', 'live');
        await until('the NAD is re-created', () => nad() !== undefined);
        ctl.child.kill('SIGTERM');
        assert.equal(await ctl.exited, 0);
      } finally {
        if (ctl.child.exitCode === null && ctl.child.signalCode === null) ctl.child.kill('SIGKILL');
        await ctl.exited;
      }
    } finally {
      await api.stop();
    }
  });
});
