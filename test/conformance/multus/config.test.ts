// Multus conformance, in-process: the meta config (pkg/types/conf.go LoadNetConf), delegate
// construction (pkg/k8sclient GetDefaultNetworks / TryLoadPodDelegates / getKubernetesDelegate,
// types.LoadDelegateNetConf, CheckGatewayConfig), what each delegate is handed (mergeCNIRuntimeConfig,
// newCNIRuntimeConf's capability args and CNIDeviceInfoFile) and the log file rotation
// (pkg/logging/logging.go, lumberjack semantics). Each title cites its upstream test; pin in pin.ts.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { CniError } from '../../../src/cni/errors.js';
import { loadMultusConf, type MultusConf } from '../../../src/multus/config.js';
import { buildDelegates, type Delegate } from '../../../src/multus/delegates.js';
import { defaultRoutePlan } from '../../../src/multus/routes.js';
import { capabilityArgs, delegateArgs } from '../../../src/multus/runtime.js';
import { appendRotating } from '../../../src/plugins/meta/logfile.js';
import { FakeSource } from '../../multus/fake-source.js';
import { cite } from './pin.js';

const TYPES = 'pkg/types/conf_test.go';
const K8S = 'pkg/k8sclient/k8sclient_test.go';
const CP = 'pkg/checkpoint/checkpoint_test.go';
const LOG = 'pkg/logging/logging_test.go';

const base = { cniVersion: '1.0.0', name: 'multus-cni-network', type: 'trunkline' };
const code7 = (re: RegExp) => (e: unknown) => e instanceof CniError && e.code === 7 && re.test(e.message);
const bridge = (name?: string) => ({
  cniVersion: '1.0.0',
  ...(name ? { name } : {}),
  type: 'bridge',
  capabilities: {
    mac: true,
    ips: true,
    portMappings: true,
    bandwidth: true,
    deviceID: true,
    CNIDeviceInfoFile: true,
    infinibandGUID: true,
  },
});

let dir: string;
const src = new FakeSource();
let checkpoint: string;

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'mconf-'));
  mkdirSync(join(dir, 'confd'));
  writeFileSync(
    join(dir, 'confd', '10-disk.conf'),
    JSON.stringify({ cniVersion: '0.4.0', name: 'disk-net', type: 'ptp' }),
  );
  writeFileSync(join(dir, 'confd', '20-broken.conf'), '{"cniVersion":"0.4.0","name":"broken-net",');
  writeFileSync(
    join(dir, 'cluster.conflist'),
    JSON.stringify({
      cniVersion: '1.0.0',
      name: 'file-cluster',
      plugins: [{ type: 'ptp' }, { type: 'portmap' }],
    }),
  );
  mkdirSync(join(dir, 'clusterdir'));
  writeFileSync(
    join(dir, 'clusterdir', '05-a.conf'),
    JSON.stringify({ cniVersion: '1.0.0', name: 'dir-cluster', type: 'bridge' }),
  );
  checkpoint = join(dir, 'kubelet_internal_checkpoint');
  // Shape of the kubelet file checkpoint_test.go feeds: DeviceIDs keyed by NUMA node.
  writeFileSync(
    checkpoint,
    JSON.stringify({
      Data: {
        PodDeviceEntries: [
          {
            PodUID: 'uid-sriov',
            ContainerName: 'c',
            ResourceName: 'intel.com/sriov_net_A',
            DeviceIDs: { '-1': ['0000:03:02.3', '0000:03:02.0'] },
            AllocResp: '',
          },
          {
            PodUID: 'uid-sriov',
            ContainerName: 'c',
            ResourceName: 'intel.com/sriov_net_B',
            DeviceIDs: ['0000:04:00.1'],
            AllocResp: '',
          },
          {
            PodUID: 'uid-other',
            ContainerName: 'c',
            ResourceName: 'intel.com/sriov_net_A',
            DeviceIDs: { '0': ['0000:09:00.0'] },
            AllocResp: '',
          },
        ],
        RegisteredDevices: {},
      },
      Checksum: 1,
    }),
  );
  src.addNad('kube-system', 'cluster-net', bridge());
  src.addNad('kube-system', 'dn1', bridge());
  src.addNad('kube-system', 'override', bridge());
  src.addNad('ns1', 'net1', bridge());
  src.addNad('ns1', 'net2', bridge('named-in-spec'));
  src.addNad('ns1', 'list', { cniVersion: '1.0.0', plugins: [{ type: 'bridge' }, { type: 'tuning' }] });
  src.addNad('ns1', 'disk-net');
  src.addNad('ns1', 'broken-net');
  src.addNad('ns1', 'sriov-a', bridge(), { 'k8s.v1.cni.cncf.io/resourceName': 'intel.com/sriov_net_A' });
  src.addNad(
    'ns1',
    'sriov-b',
    { cniVersion: '1.0.0', plugins: [{ type: 'sriov' }, { type: 'tuning' }] },
    { 'k8s.v1.cni.cncf.io/resourceName': 'intel.com/sriov_net_B' },
  );
  src.addNad('other', 'net9', bridge());
  src.addNad('default', 'global-net', bridge());
});
after(() => rmSync(dir, { recursive: true, force: true }));

const conf = (extra: Record<string, unknown> = {}): MultusConf =>
  loadMultusConf({
    ...base,
    clusterNetwork: 'cluster-net',
    confDir: join(dir, 'confd'),
    kubeletCheckpointFile: checkpoint,
    deviceInfoDir: join(dir, 'devinfo'),
    ...extra,
  });
const build = (c: MultusConf, ns: string, name: string, annotations: Record<string, string>) =>
  buildDelegates({ conf: c, source: src, pod: src.addPod(ns, name, annotations), ifname: 'eth0' });
const nets = (v: string) => ({ 'k8s.v1.cni.cncf.io/networks': v });
const flags = (ds: Delegate[]) => ds.map((d) => [d.filterV4Gateway, d.filterV6Gateway]);

describe('Multus conformance: meta config (LoadNetConf)', () => {
  test(
    cite('a valid configuration with delegates loads', `${TYPES} "parses a valid multus configuration"`),
    () => {
      const c = loadMultusConf({
        ...base,
        delegates: [{ cniVersion: '1.0.0', name: 'weave1', type: 'weave-net' }],
      });
      assert.equal(c.delegates?.[0]?.type, 'weave-net');
    },
  );
  test(
    cite('logFile and logLevel are taken', `${TYPES} "checks if logFile and logLevel are set correctly"`),
    () => {
      const c = loadMultusConf({
        ...base,
        clusterNetwork: 'x',
        logFile: '/var/log/multus.log',
        logLevel: 'Debug',
      });
      assert.deepEqual([c.logFile, c.logLevel, c.logConfigured], ['/var/log/multus.log', 'debug', true]);
    },
  );
  test(
    cite(
      'logOptions are taken, unset ones keep lumberjack defaults',
      `${TYPES} "checks if logOptions are set correctly"`,
    ),
    () => {
      const c = loadMultusConf({
        ...base,
        clusterNetwork: 'x',
        logFile: '/l',
        logOptions: { maxAge: 1, maxSize: 2, compress: false },
      });
      assert.deepEqual(c.logOptions, { maxAge: 1, maxSize: 2, maxBackups: 5, compress: false });
    },
  );
  test(
    cite('without logOptions: maxSize 100, maxAge 5, maxBackups 5, compress', `${LOG} SetLogFile defaults`),
    () => {
      assert.deepEqual(conf().logOptions, { maxSize: 100, maxAge: 5, maxBackups: 5, compress: true });
    },
  );
  test(
    cite(
      'logToStderr defaults to true and can be turned off',
      `${TYPES} GetDefaultNetConf (LogToStderr true)`,
    ),
    () => {
      assert.equal(conf().logToStderr, true);
      assert.equal(conf({ logToStderr: false }).logToStderr, false);
      assert.equal(conf().logConfigured, false);
    },
  );
  test(
    cite(
      'an unknown logLevel keeps the default instead of failing',
      `${LOG} getLoggingLevel ("cannot set logging level")`,
    ),
    () => {
      assert.equal(conf({ logLevel: 'loud' }).logLevel, undefined);
    },
  );
  test(
    cite(
      'namespaceIsolation with the default global namespace',
      `${TYPES} "properly sets namespace isolation using the default namespace"`,
    ),
    () => {
      const c = conf({ namespaceIsolation: true });
      assert.deepEqual([c.namespaceIsolation, c.nonIsolatedNamespaces], [true, ['default']]);
    },
  );
  test(
    cite(
      'globalNamespaces as a comma list',
      `${TYPES} "properly sets namespace isolation using custom namespaces"`,
    ),
    () => {
      assert.deepEqual(
        conf({ namespaceIsolation: true, globalNamespaces: 'exception1,exception2' }).nonIsolatedNamespaces,
        ['exception1', 'exception2'],
      );
    },
  );
  test(cite('only delegates is enough', `${TYPES} "succeeds if only delegates are set"`), () => {
    assert.equal(loadMultusConf({ ...base, delegates: [{ type: 'bridge' }] }).clusterNetwork, undefined);
  });
  test(
    cite(
      'neither clusterNetwork nor delegates fails',
      `${TYPES} "fails if no kubeconfig or delegates are set"`,
    ),
    () => {
      assert.throws(() => loadMultusConf(base), code7(/at least one of "clusterNetwork" or "delegates"/));
    },
  );
  test(
    cite(
      'a kubeconfig alone is not enough',
      `${TYPES} "fails if kubeconfig is present but no delegates are set"`,
    ),
    () => {
      assert.throws(
        () => loadMultusConf({ ...base, kubeconfig: '/etc/kubeconfig' }),
        code7(/at least one of/),
      );
    },
  );
  test(
    cite(
      'a delegate without a type fails when delegates are built',
      `${TYPES} "fails when delegate field exists but fields are named incorrectly"`,
    ),
    async () => {
      const c = loadMultusConf({
        ...base,
        delegates: [{ cniVersion: '1.0.0', name: 'weave1', typo: 'weave-net' }],
      });
      await assert.rejects(
        buildDelegates({ conf: c, source: src, pod: undefined, ifname: 'eth0' }),
        code7(/neither "type" nor a non-empty "plugins"/),
      );
    },
  );
  test(
    cite('no readiness indicator unless configured', `${TYPES} "has defaults set for network readiness"`),
    () => {
      assert.equal(conf().readinessindicatorfile, undefined);
    },
  );
  test(cite('readinessindicatorfile honoured', `${TYPES} "honors overrides for network readiness"`), () => {
    assert.equal(conf({ readinessindicatorfile: '/run/ready' }).readinessindicatorfile, '/run/ready');
  });
  test(
    cite('systemNamespaces default to kube-system', `${TYPES} "check CheckSystemNamespaces() works fine"`),
    () => {
      assert.deepEqual(conf().systemNamespaces, ['kube-system']);
    },
  );
});

describe('Multus conformance: delegate list (k8sclient)', () => {
  test(
    cite('cluster network from a NAD in multusNamespace', `${K8S} "retrieves cluster network from CRD"`),
    async () => {
      const ds = await build(conf(), 'ns1', 'p1', {});
      assert.deepEqual(
        ds.map((d) => [d.name, d.ifname, d.master]),
        [['kube-system/cluster-net', 'eth0', true]],
      );
    },
  );
  test(cite('defaultNetworks follow as net1…', `${K8S} "retrieves default networks from CRD"`), async () => {
    const ds = await build(conf({ defaultNetworks: ['dn1'] }), 'ns1', 'p2', nets('net1'));
    assert.deepEqual(
      ds.map((d) => [d.name, d.ifname]),
      [
        ['kube-system/cluster-net', 'eth0'],
        ['kube-system/dn1', 'net1'],
        ['ns1/net1', 'net2'],
      ],
    );
  });
  test(
    cite(
      'no defaultNetworks in kube-system',
      `${K8S} "ignore default networks from CRD in case of kube-system namespace"`,
    ),
    async () => {
      const ds = await build(conf({ defaultNetworks: ['dn1'] }), 'kube-system', 'p3', {});
      assert.deepEqual(
        ds.map((d) => d.name),
        ['kube-system/cluster-net'],
      );
    },
  );
  test(
    cite('cluster network from a conflist file path', `${K8S} "retrieves cluster network from file"`),
    async () => {
      const ds = await build(conf({ clusterNetwork: join(dir, 'cluster.conflist') }), 'ns1', 'p4', {});
      assert.deepEqual([ds[0]!.name, ds[0]!.isList], ['file-cluster', true]);
    },
  );
  test(
    cite(
      'cluster network from a directory: its first config',
      `${K8S} "retrieves cluster network from directory path"`,
    ),
    async () => {
      const ds = await build(conf({ clusterNetwork: join(dir, 'clusterdir') }), 'ns1', 'p5', {});
      assert.equal(ds[0]!.name, 'dir-cluster');
    },
  );
  test(
    cite(
      'cluster network by CNI name from confDir',
      `${K8S} "retrieves cluster network from cni config path"`,
    ),
    async () => {
      const ds = await build(conf({ clusterNetwork: 'disk-net' }), 'ns1', 'p6', {});
      assert.deepEqual([ds[0]!.name, ds[0]!.config.type], ['disk-net', 'ptp']);
    },
  );
  test(cite('an unknown cluster network fails', `${K8S} "Error in case of CRD not found"`), async () => {
    await assert.rejects(
      build(conf({ clusterNetwork: 'nope' }), 'ns1', 'p7', {}),
      code7(/cannot find network "nope"/),
    );
  });
  test(
    cite(
      'default-network annotation replaces the cluster network',
      `${K8S} "overwrite cluster network when Pod annotation is set"`,
    ),
    async () => {
      const ds = await build(conf(), 'ns1', 'p8', { 'v1.multus-cni.io/default-network': 'override' });
      assert.deepEqual(
        ds.map((d) => [d.name, d.ifname, d.master]),
        [['kube-system/override', 'eth0', true]],
      );
    },
  );
  test(
    cite(
      'default-network annotation replaces the first inline delegate',
      `${K8S} "overwrite multus config when Pod annotation is set"`,
    ),
    async () => {
      const c = loadMultusConf({
        ...base,
        confDir: join(dir, 'confd'),
        delegates: [{ cniVersion: '1.0.0', name: 'weave1', type: 'weave-net' }],
      });
      const ds = await build(c, 'ns1', 'p9', { 'v1.multus-cni.io/default-network': 'override' });
      assert.deepEqual(
        ds.map((d) => d.name),
        ['kube-system/override'],
      );
    },
  );
  test(
    cite(
      'a NAD with an empty spec uses the confDir file of that name',
      `${K8S} "retrieves delegates from kubernetes using on-disk config files"`,
    ),
    async () => {
      const ds = await build(conf(), 'ns1', 'p10', nets('disk-net'));
      assert.equal(ds[1]!.config.type, 'ptp');
    },
  );
  test(
    cite(
      'a NAD config without "name" gets the NAD name',
      `${K8S} "injects network name into minimal thick plugin CNI config"`,
    ),
    async () => {
      const ds = await build(conf(), 'ns1', 'p11', nets('net1,net2'));
      assert.deepEqual([ds[1]!.config.name, ds[2]!.config.name], ['net1', 'named-in-spec']);
    },
  );
  test(
    cite('an invalid on-disk config fails', `${K8S} "fails when on-disk config file is not valid"`),
    async () => {
      await assert.rejects(build(conf(), 'ns1', 'p12', nets('broken-net')), code7(/broken-net/));
    },
  );
  test(cite('a missing NAD fails', `${K8S} "fails when the network does not exist"`), async () => {
    await assert.rejects(
      build(conf(), 'ns1', 'p13', nets('nope')),
      code7(/cannot find NetworkAttachmentDefinition ns1\/nope/),
    );
  });
  test(
    cite(
      'namespace isolation refuses another namespace',
      `${K8S} "Errors when namespace isolation is violated"`,
    ),
    async () => {
      await assert.rejects(
        build(conf({ namespaceIsolation: true }), 'ns1', 'p14', nets('other/net9')),
        code7(/namespace isolation/),
      );
    },
  );
  test(
    cite(
      'namespace isolation allows the global namespaces',
      `${K8S} "Properly allows a specified namespace reference when namespace isolation is enabled"`,
    ),
    async () => {
      const ds = await build(conf({ namespaceIsolation: true }), 'ns1', 'p15', nets('default/global-net'));
      assert.equal(ds[1]!.name, 'default/global-net');
    },
  );
  test(
    cite('NAD delegates are named namespace/name', `${TYPES} "test DelegateConf Name is delivered"`),
    async () => {
      const ds = await build(conf(), 'ns1', 'p16', nets('net2'));
      assert.equal(ds[1]!.name, 'ns1/net2');
    },
  );
  test(
    cite(
      'conflist NAD delegates are named namespace/name too',
      `${TYPES} "test DelegateConfList Name is delivered"`,
    ),
    async () => {
      const ds = await build(conf(), 'ns1', 'p17', nets('list'));
      assert.deepEqual([ds[1]!.name, ds[1]!.isList], ['ns1/list', true]);
    },
  );
  test(
    cite(
      'selection fields reach the delegate',
      `${TYPES} "verify the network selection elements goes into delegateconf"`,
    ),
    async () => {
      const ds = await build(
        conf(),
        'ns1',
        'p18',
        nets(
          '[{"name":"net1","interface":"test-if","mac":"c2:11:22:33:44:55","ips":["10.1.1.5/24"],"infiniband-guid":"c2:11:22:33:44:55:66:77"}]',
        ),
      );
      assert.deepEqual(
        [ds[1]!.ifname, ds[1]!.request],
        [
          'test-if',
          { mac: 'c2:11:22:33:44:55', ips: ['10.1.1.5/24'], infinibandGuid: 'c2:11:22:33:44:55:66:77' },
        ],
      );
    },
  );
  test(cite('cni-args land in args.cni', `${TYPES} "add cni-args in config"`), async () => {
    const ds = await build(conf(), 'ns1', 'p19', nets('[{"name":"net1","cni-args":{"extraConfig":"1"}}]'));
    assert.deepEqual(ds[1]!.config.args, { cni: { extraConfig: '1' } });
  });
  test(
    cite(
      'cni-args merge with existing args, annotation wins',
      `${TYPES} "add cni-args in config which has cni args already (merge case)"`,
    ),
    async () => {
      src.addNad('ns1', 'with-args', { ...bridge(), args: { cni: { a: 'conf', b: 'conf' } } });
      const ds = await build(conf(), 'ns1', 'p20', nets('[{"name":"with-args","cni-args":{"b":"pod"}}]'));
      assert.deepEqual(ds[1]!.config.args, { cni: { a: 'conf', b: 'pod' } });
    },
  );
  test(cite('cni-args reach every plugin of a conflist', `${TYPES} "add cni-args in conflist"`), async () => {
    const ds = await build(conf(), 'ns1', 'p21', nets('[{"name":"list","cni-args":{"x":"y"}}]'));
    assert.deepEqual(
      (ds[1]!.config.plugins as Record<string, unknown>[]).map((p) => p.args),
      [{ cni: { x: 'y' } }, { cni: { x: 'y' } }],
    );
  });
});

describe('Multus conformance: default-route (CheckGatewayConfig)', () => {
  test(
    cite(
      'no default-route anywhere: nothing is filtered',
      `${TYPES} "test LoadDelegateNetConf keeps without GatewayRequest"`,
    ),
    async () => {
      const ds = await build(conf(), 'ns1', 'g1', nets('net1'));
      assert.deepEqual(flags(ds), [
        [false, false],
        [false, false],
      ]);
      assert.deepEqual(defaultRoutePlan(ds[0]!), { remove: [], add: [] });
    },
  );
  test(
    cite(
      '"default-route": [] strips every default route, of every delegate',
      `${TYPES} "test LoadDelegateNetConf keeps empty GatewayRequest" + multus#1011`,
    ),
    async () => {
      const ds = await build(conf(), 'ns1', 'g2', nets('[{"name":"net1","default-route":[]}]'));
      assert.deepEqual(flags(ds), [
        [true, true],
        [true, true],
      ]);
      assert.deepEqual(
        ds.map((d) => defaultRoutePlan(d)),
        [
          { remove: [4, 6], add: [] },
          { remove: [4, 6], add: [] },
        ],
      );
    },
  );
  test(
    cite(
      'an IPv4 gateway: the requester keeps v4, everybody loses v6',
      `${TYPES} "test LoadDelegateNetConf keeps GatewayRequest"`,
    ),
    async () => {
      const ds = await build(conf(), 'ns1', 'g3', nets('[{"name":"net1","default-route":["10.1.0.1"]}]'));
      assert.deepEqual(flags(ds), [
        [true, true],
        [false, true],
      ]);
      assert.deepEqual(defaultRoutePlan(ds[1]!), {
        remove: [4, 6],
        add: [{ family: 4, gateway: '10.1.0.1' }],
      });
    },
  );
  test(
    cite(
      'dual-stack gateways: the requester is filtered in neither family',
      `${TYPES} "test LoadDelegateNetConf keeps dual GatewayRequest"`,
    ),
    async () => {
      const ds = await build(
        conf(),
        'ns1',
        'g4',
        nets('[{"name":"net1","default-route":["10.1.0.1","fd00::1"]}]'),
      );
      assert.deepEqual(flags(ds), [
        [true, true],
        [false, false],
      ]);
    },
  );
  test(
    cite(
      'two IPv4 gateways across networks fail before anything runs',
      `${K8S} TryLoadPodDelegates → CheckGatewayConfig`,
    ),
    async () => {
      await assert.rejects(
        build(
          conf(),
          'ns1',
          'g5',
          nets('[{"name":"net1","default-route":["10.1.0.1"]},{"name":"net2","default-route":["10.2.0.1"]}]'),
        ),
        code7(/no ECMP/),
      );
    },
  );
});

describe('Multus conformance: runtime config and devices', () => {
  test(
    cite(
      "the master delegate gets only the runtime's runtimeConfig",
      `${TYPES} "test mergeCNIRuntimeConfig with masterPlugin"`,
    ),
    async () => {
      const ds = await build(conf(), 'ns1', 'r1', {});
      assert.deepEqual(
        capabilityArgs(ds[0]!, { portMappings: [{ hostPort: 1, containerPort: 2, protocol: 'tcp' }] }),
        { portMappings: [{ hostPort: 1, containerPort: 2, protocol: 'tcp' }] },
      );
    },
  );
  test(
    cite(
      'other delegates get their selection requests',
      `${TYPES} "test mergeCNIRuntimeConfig with delegate plugin"`,
    ),
    async () => {
      const ds = await build(
        conf(),
        'ns1',
        'r2',
        nets(
          '[{"name":"net1","mac":"c2:11:22:33:44:55","ips":["10.1.1.5/24"],"bandwidth":{"ingressRate":1},"portMappings":[{"hostPort":8080,"containerPort":80}]}]',
        ),
      );
      assert.deepEqual(capabilityArgs(ds[1]!, undefined), {
        mac: 'c2:11:22:33:44:55',
        ips: ['10.1.1.5/24'],
        bandwidth: { ingressRate: 1 },
        portMappings: [{ hostPort: 8080, containerPort: 80 }],
      });
    },
  );
  test(
    cite(
      "CNI_ARGS: IgnoreUnknown first, the caller's K8S_POD_* kept",
      `${TYPES} "creates a valid CNI runtime config with K8s args passed via CNI_ARGS environment variable"`,
    ),
    async () => {
      const ds = await build(conf(), 'ns1', 'r3', nets('net1'));
      assert.equal(
        delegateArgs(ds[1]!, 'K8S_POD_NAMESPACE=ns1;K8S_POD_NAME=r3'),
        'IgnoreUnknown=true;K8S_POD_NAMESPACE=ns1;K8S_POD_NAME=r3',
      );
    },
  );
  test(
    cite(
      "resourceName: the pod's first sorted device goes into deviceID and pciBusID",
      `${TYPES} "assigns deviceID in delegated conf" / "assigns pciBusID in delegated conf" + ${CP}`,
    ),
    async () => {
      src.addPod('ns1', 'sriov', nets('sriov-a'));
      const pod = {
        metadata: { name: 'sriov', namespace: 'ns1', uid: 'uid-sriov', annotations: nets('sriov-a') },
      };
      const ds = await buildDelegates({ conf: conf(), source: src, pod, ifname: 'eth0' });
      assert.deepEqual(
        [ds[1]!.config.deviceID, ds[1]!.config.pciBusID, ds[1]!.deviceID, ds[1]!.resourceName],
        ['0000:03:02.0', '0000:03:02.0', '0000:03:02.0', 'intel.com/sriov_net_A'],
      );
    },
  );
  test(
    cite(
      'resourceName on a conflist: every plugin gets deviceID and pciBusID',
      `${TYPES} "assigns deviceID in delegated conf list multiple plugins" / "assigns pciBusID in delegated conf list multiple plugins"`,
    ),
    async () => {
      const pod = {
        metadata: { name: 'sriov', namespace: 'ns1', uid: 'uid-sriov', annotations: nets('sriov-b') },
      };
      const ds = await buildDelegates({ conf: conf(), source: src, pod, ifname: 'eth0' });
      const plugins = ds[1]!.config.plugins as Record<string, unknown>[];
      assert.deepEqual(
        plugins.map((p) => [p.deviceID, p.pciBusID]),
        [
          ['0000:04:00.1', '0000:04:00.1'],
          ['0000:04:00.1', '0000:04:00.1'],
        ],
      );
    },
  );
  test(
    cite(
      'the same resource twice takes the next device, then none',
      `${K8S} getKubernetesDelegate (entry.Index++)`,
    ),
    async () => {
      const pod = {
        metadata: {
          name: 'sriov',
          namespace: 'ns1',
          uid: 'uid-sriov',
          annotations: nets('sriov-a,sriov-a,sriov-a'),
        },
      };
      const ds = await buildDelegates({ conf: conf(), source: src, pod, ifname: 'eth0' });
      assert.deepEqual(
        ds.slice(1).map((d) => d.deviceID),
        ['0000:03:02.0', '0000:03:02.3', undefined],
      );
    },
  );
  test(
    cite(
      'a device from the resource map wins over the annotation deviceID',
      `${TYPES} LoadDelegateNetConf ("Both RuntimeConfig and ResourceMap provide deviceID")`,
    ),
    async () => {
      const pod = {
        metadata: {
          name: 'sriov',
          namespace: 'ns1',
          uid: 'uid-sriov',
          annotations: nets('[{"name":"sriov-a","deviceID":"0000:ff:00.0"}]'),
        },
      };
      const ds = await buildDelegates({ conf: conf(), source: src, pod, ifname: 'eth0' });
      assert.equal(capabilityArgs(ds[1]!, undefined).deviceID, '0000:03:02.0');
    },
  );
  test(
    cite(
      'annotation deviceID alone reaches runtimeConfig',
      `${TYPES} "test mergeCNIRuntimeConfig with delegate plugin" (DeviceID)`,
    ),
    async () => {
      const ds = await build(conf(), 'ns1', 'r4', nets('[{"name":"net1","deviceID":"0000:ff:00.0"}]'));
      assert.equal(capabilityArgs(ds[1]!, undefined).deviceID, '0000:ff:00.0');
    },
  );
  test(
    cite(
      'a deviceID brings an auto-generated CNIDeviceInfoFile named <net>-<container>_<ifname>',
      `${TYPES} delegateRuntimeConfig (autoDeviceInfo)`,
    ),
    async () => {
      const ds = await build(conf(), 'ns1', 'r5', nets('[{"name":"net1","deviceID":"0000:ff:00.0"}]'));
      const args = capabilityArgs(ds[1]!, undefined, { dir: '/devinfo', containerId: 'c1' });
      assert.equal(args.CNIDeviceInfoFile, '/devinfo/cni/ns1-net1-c1_net1');
    },
  );
  test(
    cite(
      "the runtime's runtimeConfig.deviceID reaches the cluster network, with a CNIDeviceInfoFile",
      `${TYPES} "test mergeCNIRuntimeConfig with masterPlugin" + delegateRuntimeConfig`,
    ),
    async () => {
      const ds = await build(conf(), 'ns1', 'r7', {});
      const args = capabilityArgs(
        ds[0]!,
        { deviceID: '0000:aa:00.1' },
        { dir: '/devinfo', containerId: 'c2' },
      );
      assert.deepEqual(args, {
        deviceID: '0000:aa:00.1',
        CNIDeviceInfoFile: '/devinfo/cni/kube-system-cluster-net-c2_eth0',
      });
    },
  );
  test(
    cite('no deviceID, no CNIDeviceInfoFile', `${TYPES} "creates a valid CNI runtime config"`),
    async () => {
      const ds = await build(conf(), 'ns1', 'r6', nets('net1'));
      assert.equal(
        capabilityArgs(ds[1]!, undefined, { dir: '/devinfo', containerId: 'c1' }).CNIDeviceInfoFile,
        undefined,
      );
    },
  );
  test(
    cite(
      'a pod with no devices in the checkpoint keeps the config untouched',
      `${CP} GetPodResourceMap (other pod UID)`,
    ),
    async () => {
      const pod = {
        metadata: { name: 'x', namespace: 'ns1', uid: 'uid-none', annotations: nets('sriov-a') },
      };
      const ds = await buildDelegates({ conf: conf(), source: src, pod, ifname: 'eth0' });
      assert.deepEqual([ds[1]!.config.deviceID, ds[1]!.deviceID], [undefined, undefined]);
    },
  );
  test(
    cite(
      'an unreadable kubelet checkpoint fails the ADD',
      `${K8S} "failed to get a ResourceClient instance"`,
    ),
    async () => {
      const pod = {
        metadata: { name: 'x', namespace: 'ns1', uid: 'uid-sriov', annotations: nets('sriov-a') },
      };
      await assert.rejects(
        buildDelegates({
          conf: conf({ kubeletCheckpointFile: join(dir, 'missing') }),
          source: src,
          pod,
          ifname: 'eth0',
        }),
        code7(/kubelet device-plugin checkpoint/),
      );
    },
  );
});

describe('Multus conformance: log file rotation (lumberjack)', () => {
  const opts = { maxSize: 1, maxAge: 0, maxBackups: 2, compress: false };
  const line = `${'x'.repeat(400 * 1024)}\n`;
  test(
    cite(
      'a line that would pass maxSize starts a new file; maxBackups prunes',
      `${TYPES} "checks if logOptions are set correctly" (MaxSize/MaxBackups)`,
    ),
    () => {
      const d = mkdtempSync(join(dir, 'rot-'));
      const f = join(d, 'multus.log');
      for (let i = 0; i < 12; i++) appendRotating(f, line, opts, new Date(Date.UTC(2026, 0, 1, 0, 0, i)));
      const files = readdirSync(d).sort();
      assert.equal(files.length, 3, files.join(','));
      assert.ok(files.includes('multus.log'));
      assert.ok(
        files.every((n) => /^multus(-2026-01-01T00-00-\d\d\.000)?\.log$/.test(n)),
        files.join(','),
      );
    },
  );
  test(
    cite('compress gzips the backups', `${TYPES} "checks if logOptions are set correctly" (Compress)`),
    () => {
      const d = mkdtempSync(join(dir, 'rotz-'));
      const f = join(d, 'multus.log');
      for (let i = 0; i < 4; i++)
        appendRotating(f, line, { ...opts, compress: true }, new Date(Date.UTC(2026, 0, 1, 0, 0, i)));
      const files = readdirSync(d).sort();
      assert.deepEqual(files, ['multus-2026-01-01T00-00-02.000.log.gz', 'multus.log']);
    },
  );
  test(
    cite(
      'maxAge drops backups older than that many days',
      `${TYPES} "checks if logOptions are set correctly" (MaxAge)`,
    ),
    () => {
      const d = mkdtempSync(join(dir, 'rota-'));
      const f = join(d, 'multus.log');
      writeFileSync(join(d, 'multus-2025-01-01T00-00-00.000.log'), 'old\n');
      utimesSync(join(d, 'multus-2025-01-01T00-00-00.000.log'), new Date(), new Date());
      for (let i = 0; i < 4; i++)
        appendRotating(
          f,
          line,
          { ...opts, maxAge: 5, maxBackups: 0 },
          new Date(Date.UTC(2026, 0, 1, 0, 0, i)),
        );
      assert.equal(existsSync(join(d, 'multus-2025-01-01T00-00-00.000.log')), false);
      assert.ok(existsSync(join(d, 'multus-2026-01-01T00-00-02.000.log')));
    },
  );
});
