// Event-driven GC through the real controller process: with the periodic scan an hour away, deleting
// a pod (without any CNI DEL) or the node a pod ran on releases the address within the watch's
// reaction time, and the live pod's address stays.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { startKubeApiServer } from '../kube-apiserver/server.js';
import { asController, denied } from './identity.js';
import { spawnController } from './process.js';

const POOL_API = 'spiderpool.spidernet.io/v2beta1';
const OLD = '2026-01-01T00:00:00.000Z';
const rec = (pod: string, uid: string, cid: string) => ({
  pod,
  podUid: uid,
  containerID: cid,
  interface: 'eth0',
  family: 4,
  createdAt: OLD,
});

async function until(what: string, fn: () => boolean, limitMs = 60_000): Promise<void> {
  for (const end = Date.now() + limitMs; Date.now() < end; await new Promise((r) => setTimeout(r, 50)))
    if (fn()) return;
  throw new Error(`timed out waiting for ${what}`);
}

describe('controller GC on cluster events', () => {
  it('pod deleted, node deleted: released by the event, not the period', { timeout: 120_000 }, async () => {
    const api = await startKubeApiServer();
    try {
      const node = (name: string) => ({
        apiVersion: 'v1',
        kind: 'Node',
        metadata: { name },
        status: { conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: OLD }] },
      });
      const pod = (name: string, uid: string, nodeName: string) => ({
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name, namespace: 'default', uid },
        spec: { nodeName },
        status: { phase: 'Running' },
      });
      api.seed([
        node('n1'),
        node('n2'),
        pod('keep', 'u0', 'n1'),
        pod('p1', 'u1', 'n1'),
        pod('p2', 'u2', 'n2'),
        {
          apiVersion: POOL_API,
          kind: 'SpiderIPPool',
          metadata: { name: 'ev' },
          spec: { ipVersion: 4, subnet: '10.30.0.0/24' },
          status: {
            allocatedIPs: JSON.stringify({
              '10.30.0.1': rec('default/keep', 'u0', 'c0'),
              '10.30.0.2': rec('default/p1', 'u1', 'c1'),
              '10.30.0.3': rec('default/p2', 'u2', 'c2'),
            }),
            allocatedIPCount: 3,
          },
        },
      ]);
      const ips = () =>
        Object.keys(
          JSON.parse(
            String(
              (
                (api.get(POOL_API, 'SpiderIPPool', undefined, 'ev')?.status ?? {}) as {
                  allocatedIPs?: string;
                }
              ).allocatedIPs,
            ),
          ),
        );
      const ctl = await spawnController(asController(api), 'solo', [
        ...['--lease-duration', '3', '--renew-deadline', '2', '--retry-period', '0.5'],
        ...['--resync', '3600', '--gc-inflight-grace', '0'],
      ]);
      try {
        const metric = async (re: RegExp) => re.test((await ctl.get('/metrics')).body);
        let scanned = false;
        // Watches established (each lists for a resourceVersion, then asks for a full pass).
        await until('the watches and a scan', () => {
          void Promise.all([
            metric(/^trunkline_controller_gc_triggers_total\{event="pod resync"\} 1$/m),
            metric(/^trunkline_controller_gc_triggers_total\{event="node resync"\} 1$/m),
            metric(/^trunkline_controller_gc_scans_total [1-9]/m),
          ]).then((v) => {
            scanned = v.every(Boolean);
          });
          return scanned;
        });
        assert.deepEqual(ips(), ['10.30.0.1', '10.30.0.2', '10.30.0.3']);
        api.delete('v1', 'Pod', 'default', 'p1');
        await until('p1 released', () => !ips().includes('10.30.0.2'));
        api.delete('v1', 'Node', undefined, 'n2');
        await until('p2 released', () => !ips().includes('10.30.0.3'));
        assert.deepEqual(ips(), ['10.30.0.1']);
        const body = (await ctl.get('/metrics')).body;
        assert.match(body, /^trunkline_controller_gc_triggers_total\{event="pod DELETED"\} [1-9]/m);
        assert.match(body, /^trunkline_controller_gc_triggers_total\{event="node DELETED"\} [1-9]/m);
        assert.match(body, /^trunkline_controller_gc_released_total\{reason="pod-gone"\} 1$/m);
        assert.match(body, /^trunkline_controller_gc_released_total\{reason="node-gone"\} 1$/m);
        ctl.child.kill('SIGTERM');
        assert.equal(await ctl.exited, 0);
        assert.deepEqual(denied(api), [], 'every call allowed by the deploy RBAC');
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
