// The NAD each SpiderMultusConfig owns, against the test API server with the real SMC CRD: created
// with a controller owner reference, rewritten when the SMC changes, re-created when deleted by hand;
// a same-named NAD someone else made is left as it is; only the leader writes.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import { loadClients } from '../../src/cluster/kubernetes/client.js';
import { CR_NAME_ANNOTATION } from '../../src/controller/smc/generate.js';
import { reconcileSmcs } from '../../src/controller/smc/reconcile.js';
import { ROOT } from '../helpers/paths.js';
import { startKubeApiServer } from '../kube-apiserver/server.js';
import { asController, denied } from './identity.js';
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
      const custom = (await loadClients(api.kubeconfigPath)).custom;
      const clients = await loadClients(asController(api));
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

  it('the running controller acts on each event: create, update, NAD deleted or edited by hand, SMC deleted', async () => {
    const api = await startKubeApiServer();
    try {
      api.seed([CRD]);
      await new Promise((r) => setImmediate(r));
      const smc = (name: string, vlanID: number, annotations: Record<string, string> = {}) => ({
        apiVersion: SMC_API,
        kind: 'SpiderMultusConfig',
        metadata: { name, namespace: 'default', annotations },
        spec: { cniType: 'macvlan', enableCoordinator: false, macvlan: { master: ['ens192'], vlanID } },
      });
      const admin = (await loadClients(api.kubeconfigPath)).custom;
      const G = { group: 'spiderpool.spidernet.io', version: 'v2beta1', plural: 'spidermultusconfigs' };
      // Spiderpool's cr-name annotation names the NAD.
      api.seed([smc('live', 100, { [CR_NAME_ANNOTATION]: 'live-net' })]);
      const nad = (name = 'live-net') => api.get(NAD_API, 'NetworkAttachmentDefinition', 'default', name);
      const conf = (name = 'live-net') =>
        JSON.parse(String((nad(name)?.['spec'] as { config?: string } | undefined)?.config ?? '{}'));
      const until = async (what: string, ok: () => boolean) => {
        for (let i = 0; i < 300 && !ok(); i++) await new Promise((r) => setTimeout(r, 100));
        assert.ok(ok(), what);
      };
      // No periodic pass after the first: everything below must come from watch events.
      const ctl = await spawnController(asController(api), 'solo', [
        ...['--lease-duration', '3', '--renew-deadline', '2', '--retry-period', '0.5'],
        ...['--resync', '3600'],
      ]);
      try {
        await until('the NAD is generated under the cr-name', () => nad() !== undefined);
        assert.equal(conf().name, 'live-net');
        assert.equal(nad('live'), undefined);
        const uid = api.get(SMC_API, 'SpiderMultusConfig', 'default', 'live')?.metadata?.uid;
        assert.equal((nad()?.metadata?.ownerReferences as { uid?: string }[] | undefined)?.[0]?.uid, uid);

        api.delete(NAD_API, 'NetworkAttachmentDefinition', 'default', 'live-net');
        await until('the NAD is re-created', () => nad() !== undefined);

        const cur = api.get(SMC_API, 'SpiderMultusConfig', 'default', 'live')!;
        await admin.replaceNamespacedCustomObject({
          ...G,
          namespace: 'default',
          name: 'live',
          body: {
            ...cur,
            spec: { ...(cur['spec'] as object), macvlan: { master: ['ens192'], vlanID: 300 } },
          },
        });
        await until('the NAD follows the SMC', () => conf().plugins?.[0]?.vlanID === 300);

        const edited = nad()!;
        api.update({ ...edited, spec: { config: '{"tampered":true}' } });
        await until('a hand edit is undone', () => conf().plugins?.[0]?.vlanID === 300);

        // A same-named NAD someone else made stays as they made it.
        api.seed([
          {
            apiVersion: NAD_API,
            kind: 'NetworkAttachmentDefinition',
            metadata: { name: 'hand', namespace: 'default' },
            spec: { config: '{"handwritten":true}' },
          },
        ]);
        await admin.createNamespacedCustomObject({ ...G, namespace: 'default', body: smc('second', 200) });
        await admin.createNamespacedCustomObject({ ...G, namespace: 'default', body: smc('hand', 201) });
        await until('the new SMC gets its NAD', () => conf('second').plugins?.[0]?.vlanID === 200);
        await until('the foreign NAD is reported', () =>
          /not owned by its spidermultusconfig/.test(ctl.logs()),
        );
        assert.deepEqual(nad('hand')?.['spec'], { config: '{"handwritten":true}' });

        // The SMC deleted: the API server's garbage collector takes its NAD; the controller lets it go.
        await admin.deleteNamespacedCustomObject({ ...G, namespace: 'default', name: 'live' });
        await until('the NAD is cascaded', () => nad() === undefined);
        await new Promise((r) => setTimeout(r, 1000));
        assert.equal(nad(), undefined, 'not re-created for a deleted SMC');
        assert.ok(nad('second'), 'the other SMC keeps its NAD');
        assert.deepEqual(nad('hand')?.['spec'], { config: '{"handwritten":true}' });
        // Under load a renewal can run late and the fence refuse a write (then retried); nothing else.
        for (const line of ctl
          .logs()
          .split('\n')
          .filter((l) => /reconcile failed/.test(l)))
          assert.match(line, /does not hold a valid lease/);
        assert.deepEqual(denied(api), [], 'every call allowed by the deploy RBAC');
        ctl.child.kill('SIGTERM');
        assert.equal(await ctl.exited, 0);
      } catch (err) {
        throw new Error(`${(err as Error).message}\n${ctl.logs()}`, { cause: err });
      } finally {
        if (ctl.child.exitCode === null && ctl.child.signalCode === null) ctl.child.kill('SIGKILL');
        await ctl.exited;
      }
    } finally {
      await api.stop();
    }
  });
});
