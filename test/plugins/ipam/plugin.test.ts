// trunkline-ipam through its process entry: real environment variables, config on stdin, result or
// error object on stdout, exit codes; the store file is inspected directly.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { SqliteStore } from '../../../src/store/sqlite.js';
import { type CniCall, runCni } from '../../helpers/cni.js';
import { type IpamInstall, installIpam, netConf, podArgs } from './fixture.js';

const MANIFESTS: Record<string, string> = {
  'pools.yaml': `
apiVersion: spiderpool.spidernet.io/v2beta1
kind: SpiderIPPool
metadata: {name: vlan100-v4}
spec:
  ipVersion: 4
  subnet: 10.100.0.0/24
  ips: [10.100.0.10-10.100.0.12]
  gateway: 10.100.0.1
  routes: [{dst: 172.16.0.0/12, gw: 10.100.0.254}]
  vlan: 100
---
apiVersion: spiderpool.spidernet.io/v2beta1
kind: SpiderIPPool
metadata: {name: vlan200-v4}
spec:
  subnet: 10.200.0.0/24
  ips: [10.200.0.10-10.200.0.50]
  gateway: 10.200.0.1
---
apiVersion: spiderpool.spidernet.io/v2beta1
kind: SpiderIPPool
metadata: {name: vlan200-v6}
spec:
  subnet: fd00:200::/64
  ips: ["fd00:200::10-fd00:200::ff"]
  gateway: fd00:200::1
---
apiVersion: spiderpool.spidernet.io/v2beta1
kind: SpiderIPPool
metadata: {name: rack2-only}
spec:
  subnet: 10.250.0.0/24
  ips: [10.250.0.10-10.250.0.20]
  nodeName: [node2]
`,
  'apps.yaml': `
apiVersion: v1
kind: Namespace
metadata: {name: apps}
---
apiVersion: v1
kind: Pod
metadata:
  name: web-0
  namespace: apps
  annotations:
    k8s.v1.cni.cncf.io/networks: kube-system/macvlan-vlan100@net1, kube-system/macvlan-vlan200@net2
    ipam.spidernet.io/ippools: |-
      [{"interface": "net1", "ipv4": ["vlan100-v4"]},
       {"interface": "net2", "ipv4": ["vlan200-v4"], "ipv6": ["vlan200-v6"], "cleangateway": true}]
spec: {nodeName: node1}
---
apiVersion: v1
kind: Pod
metadata:
  name: pinned
  namespace: apps
  annotations:
    ipam.spidernet.io/ippool: '{"ipv4": ["rack2-only"]}'
spec: {nodeName: node1}
`,
};

let inst: IpamInstall;
before(async () => {
  inst = await installIpam(MANIFESTS);
});
after(() => inst.cleanup());

/** Overrides may set a variable to undefined to leave it out of the environment. */
type Over = { [K in keyof CniCall]?: CniCall[K] | undefined };
const call = (o: Over = {}): CniCall => {
  const merged = {
    command: 'ADD',
    containerId: 'c-web',
    netns: '/var/run/netns/ti-none',
    ifname: 'net1',
    args: podArgs('apps', 'web-0'),
    path: [join(inst.dir, 'cni')],
    ...o,
  };
  return Object.fromEntries(Object.entries(merged).filter(([, v]) => v !== undefined)) as unknown as CniCall;
};

async function held(): Promise<string[]> {
  const s = new SqliteStore({ path: inst.db });
  try {
    return (await s.list()).map((a) => `${a.containerId}/${a.ifname}=${a.ip}`).sort();
  } finally {
    await s.close();
  }
}

describe('trunkline-ipam process entry', () => {
  it('VERSION', async () => {
    const r = await runCni(inst.exe, call({ command: 'VERSION' }), '{"cniVersion":"1.1.0"}');
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.ok(((r.json?.['supportedVersions'] ?? []) as string[]).includes('1.1.0'));
  });

  let first = '';
  it('ADD: address, gateway and routes of the annotated pool', async () => {
    const r = await runCni(inst.exe, call(), netConf(inst));
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.deepEqual(r.json, {
      cniVersion: '1.1.0',
      dns: {}, // as the Go library encodes an empty DNS block
      ips: [{ address: '10.100.0.10/24', gateway: '10.100.0.1' }],
      routes: [
        { dst: '172.16.0.0/12', gw: '10.100.0.254' },
        { dst: '0.0.0.0/0', gw: '10.100.0.1' },
      ],
    });
    first = r.stdout;
  });

  it('ADD again for the same (containerID, ifname) returns the same result', async () => {
    const r = await runCni(inst.exe, call(), netConf(inst));
    assert.equal(r.code, 0);
    assert.equal(r.stdout, first);
    assert.deepEqual(await held(), ['c-web/net1=10.100.0.10']);
  });

  it('ADD for the second NIC: dual stack from its own pools, cleangateway, in the caller’s version', async () => {
    const r = await runCni(inst.exe, call({ ifname: 'net2' }), netConf(inst, {}, { cniVersion: '0.3.1' }));
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.deepEqual(r.json, {
      cniVersion: '0.3.1',
      dns: {},
      ips: [
        { version: '4', address: '10.200.0.10/24', gateway: '10.200.0.1' },
        { version: '6', address: 'fd00:200::10/64', gateway: 'fd00:200::1' },
      ],
    });
  });

  it('CHECK passes for the holder, fails for an unknown one or a mismatching prevResult', async () => {
    const prevResult = JSON.parse(first);
    const ok = await runCni(inst.exe, call({ command: 'CHECK' }), netConf(inst, {}, { prevResult }));
    assert.equal(ok.code, 0, ok.stdout);
    assert.equal(ok.stdout, '');
    const unknown = await runCni(
      inst.exe,
      call({ command: 'CHECK', containerId: 'nobody' }),
      netConf(inst, {}, { prevResult }),
    );
    assert.equal(unknown.json?.['code'], 3);
    assert.match(String(unknown.json?.['msg']), /container nobody interface net1 holds no address/);
    const other = { ...prevResult, ips: [{ address: '10.100.0.99/24' }] };
    const bad = await runCni(inst.exe, call({ command: 'CHECK' }), netConf(inst, {}, { prevResult: other }));
    assert.notEqual(bad.code, 0);
    assert.match(String(bad.json?.['msg']), /holds 10\.100\.0\.10, missing from prevResult/);
  });

  it('typed errors: exhausted 100, no eligible pool 101, taken 102, bad config 7', async () => {
    for (const [i, cid] of ['a', 'b'].entries()) {
      const r = await runCni(
        inst.exe,
        call({ containerId: `c-${cid}`, args: podArgs('apps', `other-${i}`) }),
        netConf(inst, { default_ipv4_ippool: ['vlan100-v4'] }),
      );
      assert.equal(r.code, 0, r.stdout);
    }
    const exhausted = await runCni(
      inst.exe,
      call({ containerId: 'c-c', args: podArgs('apps', 'other-2') }),
      netConf(inst, { default_ipv4_ippool: ['vlan100-v4'] }),
    );
    assert.equal(exhausted.json?.['code'], 100);
    assert.match(
      String(exhausted.json?.['msg']),
      /no free IPv4 address for pod apps\/other-2 interface net1: pool "vlan100-v4" is exhausted/,
    );

    const none = await runCni(
      inst.exe,
      call({ containerId: 'c-p', args: podArgs('apps', 'pinned') }),
      netConf(inst),
    );
    assert.equal(none.json?.['code'], 101);
    assert.match(
      String(none.json?.['msg']),
      /pod apps\/pinned interface net1: none of the IPv4 pools \[rack2-only\]/,
    );
    assert.match(String(none.json?.['details']), /spec\.nodeName \[node2\] does not include node node1/);

    const taken = await runCni(
      inst.exe,
      call({ containerId: 'c-t', args: podArgs('apps', 'fixed') }),
      netConf(inst, { default_ipv4_ippool: ['vlan200-v4'] }, { runtimeConfig: { ips: ['10.200.0.10/24'] } }),
    );
    assert.equal(taken.json?.['code'], 102);
    assert.match(
      String(taken.json?.['msg']),
      /10\.200\.0\.10 .* already held in pool "vlan200-v4" by pod apps\/web-0 container c-web interface net2/,
    );

    const fixed = await runCni(
      inst.exe,
      call({ containerId: 'c-t', args: podArgs('apps', 'fixed') }),
      netConf(inst, { default_ipv4_ippool: ['vlan200-v4'] }, { runtimeConfig: { ips: ['10.200.0.42/24'] } }),
    );
    assert.equal(((fixed.json?.['ips'] ?? []) as { address: string }[])[0]?.address, '10.200.0.42/24');

    const badConf = await runCni(
      inst.exe,
      call({ containerId: 'c-x' }),
      netConf(inst, { default_ipv4_ippool: [3] }),
    );
    assert.equal(badConf.json?.['code'], 7);
    assert.match(String(badConf.json?.['msg']), /ipam\.default_ipv4_ippool must be a list of pool names/);
  });

  it('STATUS reports a usable store, and 103 for an unusable one', async () => {
    const ok = await runCni(
      inst.exe,
      call({ command: 'STATUS', containerId: undefined, netns: undefined, ifname: undefined }),
      netConf(inst),
    );
    assert.equal(ok.code, 0, ok.stdout);
    const blocker = join(inst.dir, 'a-file');
    writeFileSync(blocker, '');
    const bad = await runCni(
      inst.exe,
      call({ command: 'STATUS', containerId: undefined, netns: undefined, ifname: undefined }),
      netConf(inst, { store: { path: join(blocker, 'ipam.db') } }),
    );
    assert.equal(bad.json?.['code'], 103);
    assert.match(String(bad.json?.['msg']), /IPAM store sqlite:.*a-file\/ipam\.db is unavailable/);
  });

  it('GC releases this network’s allocations that are not valid attachments', async () => {
    // Another network's allocation must survive this network's GC.
    const other = await runCni(
      inst.exe,
      call({ containerId: 'c-other', args: podArgs('apps', 'lonely') }),
      netConf(inst, { default_ipv4_ippool: ['vlan200-v4'] }, { name: 'elsewhere' }),
    );
    assert.equal(other.code, 0, other.stdout);
    const gcCall = call({ command: 'GC', containerId: undefined, netns: undefined, ifname: undefined });
    const r = await runCni(
      inst.exe,
      gcCall,
      netConf(
        inst,
        {},
        {
          'cni.dev/valid-attachments': [
            { containerID: 'c-web', ifname: 'net1' },
            { containerID: 'c-web', ifname: 'net2' },
          ],
        },
      ),
    );
    assert.equal(r.code, 0, r.stdout);
    assert.deepEqual(await held(), [
      'c-other/net1=10.200.0.11',
      'c-web/net1=10.100.0.10',
      'c-web/net2=10.200.0.10',
      'c-web/net2=fd00:200::10',
    ]);
    const noList = await runCni(inst.exe, gcCall, netConf(inst));
    assert.equal(noList.json?.['code'], 7);
  });

  it('DEL releases exactly the holder and is idempotent, also without a netns', async () => {
    const r = await runCni(inst.exe, call({ command: 'DEL', ifname: 'net2' }), netConf(inst));
    assert.equal(r.code, 0, r.stdout);
    assert.equal(r.stdout, '');
    assert.deepEqual(await held(), ['c-other/net1=10.200.0.11', 'c-web/net1=10.100.0.10']);
    const again = await runCni(
      inst.exe,
      call({ command: 'DEL', ifname: 'net2', netns: undefined }),
      netConf(inst),
    );
    assert.equal(again.code, 0, again.stdout);
    assert.equal((await held()).length, 2);
  });

  it('GC with trunkline.io/release-container releases only that container, whatever the list says', async () => {
    const gcCall = call({ command: 'GC', containerId: undefined, netns: undefined, ifname: undefined });
    const before = await held();
    const tmp = await runCni(
      inst.exe,
      call({ containerId: 'c-temp', args: podArgs('apps', 'lonely') }),
      netConf(inst, { default_ipv4_ippool: ['vlan200-v4'] }, { name: 'elsewhere' }),
    );
    assert.equal(tmp.code, 0, tmp.stdout);
    // An empty valid list would release every allocation of the network in a standard GC.
    for (const [container, network] of [
      ['c-nobody', 'elsewhere'],
      ['c-temp', 'underlay'],
    ] as const) {
      const r = await runCni(
        inst.exe,
        gcCall,
        netConf(
          inst,
          {},
          { name: network, 'cni.dev/valid-attachments': [], 'trunkline.io/release-container': container },
        ),
      );
      assert.equal(r.code, 0, r.stdout);
    }
    assert.equal((await held()).length, before.length + 1);
    const r = await runCni(
      inst.exe,
      gcCall,
      netConf(
        inst,
        {},
        { name: 'elsewhere', 'cni.dev/valid-attachments': [], 'trunkline.io/release-container': 'c-temp' },
      ),
    );
    assert.equal(r.code, 0, r.stdout);
    assert.deepEqual(await held(), before);
  });
});
