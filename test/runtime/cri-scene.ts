// The cluster the containerd CRI tests run against: the seed's flat NADs (macvlan on VLAN 100/200
// masters + trunkline-ipam + coordinator), SpiderIPPools, the cluster network (reference bridge +
// host-local, standing in for Calico) and the seed's pods, all in the test API server; the node is a
// network namespace whose veths `vlan100`/`vlan200` are cabled to a switch namespace with the gateways.
import { readFileSync } from 'node:fs';
import { ip, type Scene } from '../helpers/netns.js';

export const OVERLAY_CIDR = '10.233.64.0/18';

/** Node namespace (containerd's) with the two VLAN masters, cabled to a switch with the gateways. */
export function nodeScene(scene: Scene): { node: { name: string; path: string }; sw: string } {
  const node = scene.netns('n');
  const sw = scene.netns('s').name;
  for (const vlan of [100, 200]) {
    const peer = `sw${vlan}`;
    ip(['-n', node.name, 'link', 'add', `vlan${vlan}`, 'type', 'veth', 'peer', 'name', peer, 'netns', sw]);
    ip(['-n', node.name, 'link', 'set', `vlan${vlan}`, 'up']);
    ip(['-n', sw, 'addr', 'add', `10.${vlan}.0.1/24`, 'dev', peer]);
    ip(['-n', sw, 'link', 'set', peer, 'up']);
  }
  ip(['-n', node.name, 'addr', 'add', '10.100.0.11/24', 'dev', 'vlan100']);
  ip(['-n', node.name, 'route', 'add', 'default', 'via', '10.100.0.1']);
  return { node, sw };
}

/** The test API server's kubeconfig, pointed at the relay port inside the node namespace. */
export function relayKubeconfig(path: string, url: string, port: number): string {
  return readFileSync(path, 'utf8').replaceAll(new URL(url).host, `127.0.0.1:${port}`);
}

const nad = (name: string, config: object) => ({
  apiVersion: 'k8s.cni.cncf.io/v1',
  kind: 'NetworkAttachmentDefinition',
  metadata: { name, namespace: 'kube-system' },
  spec: { config: JSON.stringify({ cniVersion: '1.0.0', name, ...config }) },
});

const macvlanChain = (vlan: number, mode: 'underlay' | 'overlay') => ({
  plugins: [
    {
      type: 'trunkline-macvlan',
      master: `vlan${vlan}`,
      mode: 'bridge',
      ipam: { type: 'trunkline-ipam', store: { type: 'kubernetes' } },
    },
    { type: 'trunkline-coordinator', mode, overlayPodCIDR: [OVERLAY_CIDR] },
  ],
});

const pool = (vlan: number) => ({
  apiVersion: 'spiderpool.spidernet.io/v2beta1',
  kind: 'SpiderIPPool',
  metadata: { name: `vlan${vlan}-v4` },
  spec: {
    ipVersion: 4,
    subnet: `10.${vlan}.0.0/24`,
    ips: [`10.${vlan}.0.100-10.${vlan}.0.149`],
    gateway: `10.${vlan}.0.1`,
  },
});

export const pod = (name: string, uid: string, annotations: Record<string, string>) => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace: 'default', uid, annotations },
  spec: { nodeName: 'node1', containers: [{ name: 'app', image: 'busybox' }] },
});

/** The seed's standalone pod: eth0 macvlan on VLAN 100, a second macvlan NIC on VLAN 200. */
export const STANDALONE = {
  'v1.multus-cni.io/default-network': 'kube-system/macvlan-standalone-vlan100',
  'k8s.v1.cni.cncf.io/networks': 'kube-system/macvlan-vlan200@net1',
  'ipam.spidernet.io/ippools':
    '[{"interface":"eth0","ipv4":["vlan100-v4"]},{"interface":"net1","ipv4":["vlan200-v4"],"cleangateway":true}]',
};
/** The seed's overlay pod: eth0 from the cluster network, the VLAN 200 macvlan as net1. */
export const OVERLAY = {
  'k8s.v1.cni.cncf.io/networks': 'kube-system/macvlan-overlay-vlan200',
  'ipam.spidernet.io/ippools': '[{"interface":"net1","ipv4":["vlan200-v4"],"cleangateway":true}]',
};

export function clusterObjects(ipamDir: string): Record<string, unknown>[] {
  return [
    { apiVersion: 'v1', kind: 'Node', metadata: { name: 'node1' } },
    nad('cluster-net', {
      type: 'bridge',
      bridge: 'cni0',
      isGateway: true,
      ipMasq: false,
      ipam: {
        type: 'host-local',
        dataDir: ipamDir,
        ranges: [[{ subnet: '10.233.64.0/24' }]],
        routes: [{ dst: '0.0.0.0/0' }],
      },
    }),
    nad('macvlan-standalone-vlan100', macvlanChain(100, 'underlay')),
    nad('macvlan-overlay-vlan200', macvlanChain(200, 'overlay')),
    nad('macvlan-vlan200', {
      plugins: [
        {
          type: 'trunkline-macvlan',
          master: 'vlan200',
          mode: 'bridge',
          ipam: { type: 'trunkline-ipam', store: { type: 'kubernetes' } },
        },
      ],
    }),
    pool(100),
    pool(200),
  ];
}
