// Fixed IPs (Spiderpool's StatefulSet/KubeVirt semantics and same-UID sandbox re-creation) through
// the node agent: meta plugin → trunkline-macvlan → trunkline-ipam on the Kubernetes store, real
// macvlan NICs in namespaces the test made, the test playing kubelet and StatefulSet controller.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { loadClients } from '../../src/cluster/kubernetes/client.js';
import { KubernetesSource } from '../../src/cluster/kubernetes/source.js';
import { defineGcMetrics, gcPass } from '../../src/controller/gc.js';
import { Metrics } from '../../src/controller/metrics.js';
import { DEFAULT_POLICY } from '../../src/gc/types.js';
import { KubernetesStore } from '../../src/store/kubernetes/index.js';
import { FixedScene, NS } from './fixed-scene.js';

const s = new FixedScene();
before(() => s.start());
after(() => s.stop());

type Obj = Record<string, unknown>;
const status = (ep: Obj | undefined) =>
  (ep?.['status'] ?? {}) as {
    current: { uid: string; node: string; ips: { interface: string; ipv4?: string; ipv4Pool?: string }[] };
    ownerControllerType: string;
    ownerControllerName: string;
  };
const owners = (ep: Obj | undefined) =>
  (
    ((ep?.['metadata'] as Obj | undefined)?.['ownerReferences'] ?? []) as { kind: string; name: string }[]
  ).map((o) => `${o.kind}/${o.name}`);
const heldBy = (pod: string) =>
  s
    .entries()
    .filter((e) => e.pod === `${NS}/${pod}`)
    .map((e) => `${e.pool} ${e.ip} ${e.interface}`);

describe('fixed IPs', () => {
  it('a StatefulSet pod deleted and re-created gets the same addresses on eth0 and net1', async () => {
    const sts = s.statefulSet('web', 2);
    const owner = { apiVersion: 'apps/v1', kind: 'StatefulSet', name: 'web', uid: sts.uid };
    const uid1 = s.createPod('web-0', owner);
    const sb1 = await s.sandbox('w0a');
    const first = await s.add('web-0', uid1, sb1);
    const ep = s.endpoint('web-0');
    assert.deepEqual(owners(ep), ['StatefulSet/web'], 'the StatefulSet owns a replica endpoint');
    assert.equal(status(ep).ownerControllerType, 'StatefulSet');
    assert.equal(status(ep).ownerControllerName, 'web');
    assert.equal(status(ep).current.uid, uid1);
    assert.deepEqual(
      status(ep).current.ips.map((i) => [i.interface, i.ipv4, i.ipv4Pool]),
      [
        ['eth0', `${first.eth0}/24`, 'fx-a'],
        ['net1', `${first.net1}/24`, 'fx-b'],
      ],
    );
    // The StatefulSet controller deletes the pod; the kubelet tears the sandbox down.
    s.deletePod('web-0');
    await s.del('web-0', uid1, sb1);
    await s.dropSandbox(sb1);
    assert.deepEqual(
      heldBy('web-0'),
      [`fx-a ${first.eth0} eth0`, `fx-b ${first.net1} net1`],
      'DEL kept them',
    );
    const uid2 = s.createPod('web-0', owner);
    const sb2 = await s.sandbox('w0b');
    const second = await s.add('web-0', uid2, sb2);
    assert.deepEqual(second, first);
    assert.deepEqual(
      s
        .entries()
        .filter((e) => e.pod === `${NS}/web-0`)
        .map((e) => [e.ip, e.podUid, e.containerID]),
      [
        [first.eth0, uid2, sb2.id],
        [first.net1, uid2, sb2.id],
      ],
      'the pool records name the new pod and sandbox, once each',
    );
    assert.equal(status(s.endpoint('web-0')).current.uid, uid2);
  });

  it('a new sandbox for the same pod UID gets the address back; the pool holds one', async () => {
    const uid = s.createPod('plain');
    const sb1 = await s.sandbox('p1');
    const first = await s.add('plain', uid, sb1);
    assert.deepEqual(owners(s.endpoint('plain')), ['Pod/plain']);
    // The runtime lost the first sandbox and makes another without a DEL.
    const sb2 = await s.sandbox('p2');
    const second = await s.add('plain', uid, sb2);
    assert.deepEqual(second, first);
    assert.deepEqual(heldBy('plain'), [`fx-a ${first.eth0} eth0`, `fx-b ${first.net1} net1`]);
    // The late DEL of the lost sandbox releases nothing that the new one holds.
    await s.del('plain', uid, sb1);
    await s.dropSandbox(sb1);
    assert.deepEqual(heldBy('plain'), [`fx-a ${first.eth0} eth0`, `fx-b ${first.net1} net1`]);
    // A plain pod's DEL releases; the endpoint stays while the pod lives, so a restart comes back.
    await s.del('plain', uid, sb2);
    assert.deepEqual(heldBy('plain'), []);
    const sb3 = await s.sandbox('p3');
    assert.deepEqual(await s.add('plain', uid, sb3), first);
    s.deletePod('plain');
    await s.del('plain', uid, sb3);
    assert.deepEqual(heldBy('plain'), []);
    assert.equal(s.endpoint('plain'), undefined, 'the endpoint goes with the pod');
  });

  it('DEL of a StatefulSet pod that still lives keeps its addresses', async () => {
    const uid = s.api.get('v1', 'Pod', NS, 'web-0')!['metadata'] as Obj;
    const before = heldBy('web-0');
    const sb = await s.sandbox('w0c');
    const again = await s.add('web-0', String(uid['uid']), sb);
    assert.deepEqual(
      heldBy('web-0'),
      [`fx-a ${again.eth0} eth0`, `fx-b ${again.net1} net1`],
      'one entry per NIC',
    );
    assert.deepEqual(heldBy('web-0'), before);
    await s.del('web-0', String(uid['uid']), sb);
    assert.deepEqual(heldBy('web-0'), before);
  });

  it('scaling a StatefulSet down releases the removed replica with its endpoint', async () => {
    const sts = s.api.get('apps/v1', 'StatefulSet', NS, 'web')!;
    const owner = {
      apiVersion: 'apps/v1',
      kind: 'StatefulSet',
      name: 'web',
      uid: String((sts['metadata'] as Obj)['uid']),
    };
    const uid = s.createPod('web-1', owner);
    const sb = await s.sandbox('w1');
    await s.add('web-1', uid, sb);
    assert.equal(heldBy('web-1').length, 2);
    s.scale('web', 1);
    s.deletePod('web-1');
    await s.del('web-1', uid, sb);
    assert.deepEqual(heldBy('web-1'), []);
    assert.equal(s.endpoint('web-1'), undefined);
    assert.equal(heldBy('web-0').length, 2, 'the replica still wanted keeps its addresses');
  });

  it('the controller GC releases a scaled-down replica never DELeted, with its endpoint, and keeps the rest', async () => {
    const sts = s.statefulSet('db', 3);
    const owner = { apiVersion: 'apps/v1', kind: 'StatefulSet', name: 'db', uid: sts.uid };
    const uids = ['db-0', 'db-1', 'db-2'].map((n) => s.createPod(n, owner));
    for (const [i, n] of ['db-0', 'db-1', 'db-2'].entries())
      await s.add(n, uids[i]!, await s.sandbox(`d${i}`));
    // db-2's node died with it: no DEL ever comes. db-0 is being re-created (pod object gone for now).
    s.scale('db', 2);
    s.deletePod('db-2');
    s.deletePod('db-0');
    const before = s.entries();
    const store = new KubernetesStore(new KubernetesSource({ kubeconfig: s.api.kubeconfigPath }));
    const events: string[] = [];
    const metrics = new Metrics();
    defineGcMetrics(metrics);
    await gcPass(
      await loadClients(s.api.kubeconfigPath),
      store,
      { ...DEFAULT_POLICY, inflightGraceMs: 0 },
      () => true,
      metrics,
      (event, fields) => events.push(`${event} ${String(fields?.['pod'] ?? fields?.['endpoint'])}`),
    );
    assert.deepEqual(heldBy('db-2'), []);
    assert.equal(s.endpoint('db-2'), undefined, 'the endpoint went with the addresses');
    assert.equal(heldBy('db-0').length, 2, 'a replica the StatefulSet wants keeps its addresses');
    assert.ok(s.endpoint('db-0'));
    assert.deepEqual(
      s.entries().map((e) => e.ip),
      before.filter((e) => e.pod !== `${NS}/db-2`).map((e) => e.ip),
      'nothing else released',
    );
    assert.deepEqual(events.sort(), ['endpoint deleted fx/db-2', 'released fx/db-2', 'released fx/db-2']);
  });

  it('a KubeVirt VMI re-created for the same VM, and a migration target pod, keep the addresses', async () => {
    const [vm] = s.api.seed([
      {
        apiVersion: 'kubevirt.io/v1',
        kind: 'VirtualMachine',
        metadata: { name: 'vm1', namespace: NS },
        spec: { running: true },
      },
    ]);
    const vmi = () => {
      const [o] = s.api.seed([
        {
          apiVersion: 'kubevirt.io/v1',
          kind: 'VirtualMachineInstance',
          metadata: { name: 'vm1', namespace: NS },
        },
      ]);
      return {
        apiVersion: 'kubevirt.io/v1',
        kind: 'VirtualMachineInstance',
        name: 'vm1',
        uid: String((o!['metadata'] as Obj)['uid']),
      };
    };
    let owner = vmi();
    const uidA = s.createPod('virt-launcher-vm1-aaaaa', owner);
    const sbA = await s.sandbox('va');
    const first = await s.add('virt-launcher-vm1-aaaaa', uidA, sbA);
    const ep = s.endpoint('vm1');
    assert.equal(status(ep).ownerControllerType, 'VirtualMachineInstance');
    assert.deepEqual(owners(ep), ['VirtualMachine/vm1'], 'the VM owns the endpoint');
    assert.equal(
      String((vm!['metadata'] as Obj)['uid']),
      ((ep!['metadata'] as Obj)['ownerReferences'] as Obj[])[0]!['uid'],
    );
    // Live migration: the target pod starts while the source still runs.
    const uidB = s.createPod('virt-launcher-vm1-bbbbb', owner);
    const sbB = await s.sandbox('vb');
    assert.deepEqual(await s.add('virt-launcher-vm1-bbbbb', uidB, sbB), first);
    s.deletePod('virt-launcher-vm1-aaaaa');
    await s.del('virt-launcher-vm1-aaaaa', uidA, sbA);
    assert.deepEqual(heldBy('virt-launcher-vm1-bbbbb'), [
      `fx-a ${first.eth0} eth0`,
      `fx-b ${first.net1} net1`,
    ]);
    // The VM restarts: its VMI and pod are deleted and re-created.
    s.api.delete('kubevirt.io/v1', 'VirtualMachineInstance', NS, 'vm1');
    s.deletePod('virt-launcher-vm1-bbbbb');
    await s.del('virt-launcher-vm1-bbbbb', uidB, sbB);
    assert.equal(heldBy('virt-launcher-vm1-bbbbb').length, 2, 'the VM still wants to run: kept');
    owner = vmi();
    const uidC = s.createPod('virt-launcher-vm1-ccccc', owner);
    assert.deepEqual(await s.add('virt-launcher-vm1-ccccc', uidC, await s.sandbox('vc')), first);
    assert.deepEqual(heldBy('virt-launcher-vm1-ccccc'), [
      `fx-a ${first.eth0} eth0`,
      `fx-b ${first.net1} net1`,
    ]);
    assert.equal(status(s.endpoint('vm1')).current.uid, uidC);
  });
});
