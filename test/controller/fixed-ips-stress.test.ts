// Spiderpool's duplicate-IP bugs (#1187 rapid delete/re-create, #2526/#3751 StatefulSets) as a test:
// 10 StatefulSet pods deleted and re-created 20 times each, all at once, while unrelated pods come
// and go on the same pools. After every ADD no address is live on two sandboxes and every replica
// has its first addresses back; at the end the pools and SpiderEndpoints hold exactly the replicas.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { FixedScene, type Nic, NS } from './fixed-scene.js';

const REPLICAS = 10;
const CYCLES = 20;
const CHURNERS = 2;

const s = new FixedScene();
before(() => s.start());
after(() => s.stop());

describe('fixed IPs under churn', () => {
  it(`${REPLICAS} StatefulSet pods × ${CYCLES} delete/re-create cycles with unrelated pods: no duplicate ever`, {
    timeout: 600_000,
  }, async () => {
    const sts = s.statefulSet('st', REPLICAS);
    const owner = { apiVersion: 'apps/v1', kind: 'StatefulSet', name: 'st', uid: sts.uid };
    /** sandbox id → [pod, its addresses], for every sandbox whose NICs are up. */
    const live = new Map<string, [string, Nic]>();
    const checkUnique = (when: string) => {
      const seen = new Map<string, string>();
      for (const [id, [pod, nic]] of live)
        for (const ip of [nic.eth0, nic.net1]) {
          const other = seen.get(ip);
          assert.equal(other, undefined, `${when}: ${ip} live on ${other} and ${pod}/${id}`);
          seen.set(ip, `${pod}/${id}`);
        }
    };
    const names = Array.from({ length: REPLICAS }, (_, i) => `st-${i}`);
    const current = new Map<string, { uid: string; sb: Awaited<ReturnType<FixedScene['sandbox']>> }>();
    const fixed = new Map<string, Nic>();
    await Promise.all(
      names.map(async (n, i) => {
        const uid = s.createPod(n, owner);
        const sb = await s.sandbox(`${i}x0`);
        const nic = await s.add(n, uid, sb);
        live.set(sb.id, [n, nic]);
        checkUnique(`first ADD of ${n}`);
        fixed.set(n, nic);
        current.set(n, { uid, sb });
      }),
    );
    let stop = false;
    let churned = 0;
    const churner = async (k: number) => {
      for (let j = 0; !stop; j++) {
        const name = `churn-${k}-${j}`;
        const uid = s.createPod(name);
        const sb = await s.sandbox(`c${k}x${j}`);
        const nic = await s.add(name, uid, sb);
        live.set(sb.id, [name, nic]);
        checkUnique(`ADD of ${name}`);
        live.delete(sb.id);
        s.deletePod(name);
        await s.del(name, uid, sb);
        await s.dropSandbox(sb);
        churned++;
      }
    };
    const replica = async (n: string, i: number) => {
      for (let c = 1; c <= CYCLES; c++) {
        const old = current.get(n)!;
        // StatefulSet controller: delete; kubelet: tear the sandbox down; controller: re-create.
        live.delete(old.sb.id);
        s.deletePod(n);
        await s.del(n, old.uid, old.sb);
        await s.dropSandbox(old.sb);
        const uid = s.createPod(n, owner);
        const sb = await s.sandbox(`${i}x${c}`);
        const nic = await s.add(n, uid, sb);
        live.set(sb.id, [n, nic]);
        checkUnique(`cycle ${c} of ${n}`);
        assert.deepEqual(nic, fixed.get(n), `cycle ${c}: ${n} has its addresses back`);
        current.set(n, { uid, sb });
      }
    };
    const churn = Array.from({ length: CHURNERS }, (_, k) => churner(k));
    try {
      await Promise.all(names.map(replica));
    } finally {
      stop = true;
      await Promise.all(churn);
    }
    assert.ok(churned >= CHURNERS, `unrelated pods came and went (${churned})`);
    // Exactly the replicas, once per NIC, recorded for their current pod and sandbox.
    const want = names
      .flatMap((n) => {
        const { uid, sb } = current.get(n)!;
        const nic = fixed.get(n)!;
        return [
          {
            pool: 'fx-a',
            ip: nic.eth0,
            pod: `${NS}/${n}`,
            podUid: uid,
            containerID: sb.id,
            interface: 'eth0',
          },
          {
            pool: 'fx-b',
            ip: nic.net1,
            pod: `${NS}/${n}`,
            podUid: uid,
            containerID: sb.id,
            interface: 'net1',
          },
        ];
      })
      .sort((a, b) => (a.pool + a.ip < b.pool + b.ip ? -1 : 1));
    assert.deepEqual(
      s.entries().map((e) => ({
        pool: e.pool,
        ip: e.ip,
        pod: e.pod,
        podUid: e.podUid,
        containerID: e.containerID,
        interface: e.interface,
      })),
      want,
    );
    assert.deepEqual(s.endpointNames(), [...names].sort());
    for (const n of names) {
      const ep = s.endpoint(n)!['status'] as {
        current: { uid: string; ips: { interface: string; ipv4: string }[] };
      };
      assert.equal(ep.current.uid, current.get(n)!.uid);
      assert.deepEqual(
        ep.current.ips.map((x) => [x.interface, x.ipv4]),
        [
          ['eth0', `${fixed.get(n)!.eth0}/24`],
          ['net1', `${fixed.get(n)!.net1}/24`],
        ],
      );
    }
  });
});
