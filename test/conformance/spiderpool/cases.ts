// Process-level Spiderpool cases: one pod (its annotations), the interface, extra IPAM config, and
// what Spiderpool does — which pools the NIC's addresses come from and which routes it gets, or the
// error code. Each row names the upstream file whose rule it restates; `bundle` rows also run without
// the agent (C shim → bundled Node plugin).

export type Want =
  | { code: number; msg: RegExp }
  | { pools: string[]; routes?: string[]; noRoutes?: string[] };

export interface Case {
  from: string;
  what: string;
  ns?: string;
  pod?: Record<string, string>;
  ifname?: string;
  /** The network (NAD) name Multus puts in the delegate config. */
  network?: string;
  ipam?: Record<string, unknown>;
  bundle?: boolean;
  /** The config itself is invalid, so DEL is refused with 7 as well (nothing was allocated). */
  badConf?: boolean;
  want: Want;
}

const SEL = 'pkg/ipam/pool_selections.go';
const ALLOC = 'pkg/ipam/allocate.go';
const UTILS = 'pkg/ipam/utils.go';
const DOC_POOL = 'docs/usage/spider-ippool.md';
const DOC_ROUTE = 'docs/usage/route.md';
const DOC_AFFINITY = 'docs/usage/spider-affinity.md';
const CNI_TYPES = 'cmd/spiderpool/cmd/cni_types.go';
const MANAGER = 'pkg/ippoolmanager/ippool_manager.go';
const OURS = 'ours (README: Differences from Spiderpool)';

const IPPOOL = 'ipam.spidernet.io/ippool';
const IPPOOLS = 'ipam.spidernet.io/ippools';
const ROUTES = 'ipam.spidernet.io/routes';
const NETWORKS = 'k8s.v1.cni.cncf.io/networks';
const DEFAULT_NET = 'v1.multus-cni.io/default-network';
const one = (ipv4: string[], ipv6: string[] = []) =>
  JSON.stringify({ ipv4, ...(ipv6.length ? { ipv6 } : {}) });

export const CASES: Case[] = [
  {
    from: DOC_POOL,
    what: 'ippool annotation: address, gateway default route and the pool routes',
    pod: { [IPPOOL]: one(['v4-a']) },
    bundle: true,
    want: { pools: ['v4-a'], routes: ['default via 10.31.0.1', '172.30.0.0/16 via 10.31.0.254'] },
  },
  {
    from: SEL,
    what: 'ippools entry named eth0',
    pod: { [IPPOOLS]: '[{"interface":"eth0","ipv4":["v4-a"]},{"interface":"net1","ipv4":["v4-b"]}]' },
    want: { pools: ['v4-a'], routes: ['default via 10.31.0.1'] },
  },
  {
    from: DOC_ROUTE,
    what: 'ippools entry for net1 with cleangateway: no default route',
    pod: {
      [IPPOOLS]:
        '[{"interface":"eth0","ipv4":["v4-a"]},{"interface":"net1","ipv4":["v4-b"],"cleangateway":true}]',
    },
    ifname: 'net1',
    bundle: true,
    want: { pools: ['v4-b'], noRoutes: ['default via 10.32.0.1'] },
  },
  {
    from: UTILS,
    what: 'ippools entries without interface: the first goes to eth0',
    pod: { [IPPOOLS]: '[{"ipv4":["v4-a"]},{"ipv4":["v4-b"]}]', [NETWORKS]: 'team/extra34' },
    bundle: true,
    want: { pools: ['v4-a'] },
  },
  {
    from: UTILS,
    what: 'ippools entries without interface: the second goes to net1 (the first networks entry)',
    pod: { [IPPOOLS]: '[{"ipv4":["v4-a"]},{"ipv4":["v4-b"]}]', [NETWORKS]: 'team/extra34' },
    ifname: 'net1',
    want: { pools: ['v4-b'] },
  },
  {
    from: UTILS,
    what: 'ippools entries without interface: an interface beyond the list fails',
    pod: { [IPPOOLS]: '[{"ipv4":["v4-a"]},{"ipv4":["v4-b"]}]' },
    ifname: 'net2',
    want: { code: 101, msg: /2 entries without interface.*net2 is interface number 3/ },
  },
  {
    from: UTILS,
    what: 'ippools mixing named and unnamed entries is refused',
    pod: { [IPPOOLS]: '[{"interface":"eth0","ipv4":["v4-a"]},{"ipv4":["v4-b"]}]' },
    want: { code: 7, msg: /either all name their interface or all leave it out/ },
  },
  {
    from: UTILS,
    what: 'ippools naming one interface twice is refused',
    pod: { [IPPOOLS]: '[{"interface":"eth0","ipv4":["v4-a"]},{"interface":"eth0","ipv4":["v4-b"]}]' },
    want: { code: 7, msg: /interface eth0 is listed twice/ },
  },
  {
    from: UTILS,
    what: 'ippools that name other interfaces only fail for this one',
    pod: { [IPPOOLS]: '[{"interface":"net1","ipv4":["v4-b"]}]' },
    want: { code: 101, msg: /lists interfaces net1 but not eth0/ },
  },
  {
    from: SEL,
    what: 'an empty ippool annotation allocates nothing: the ADD fails',
    pod: { [IPPOOL]: '{}' },
    bundle: true,
    want: { code: 101, msg: /no IP allocation/ },
  },
  {
    from: SEL,
    what: 'an ippools entry naming no pool allocates nothing: the ADD fails',
    pod: { [IPPOOLS]: '[{"interface":"eth0"}]' },
    want: { code: 101, msg: /no IP allocation/ },
  },
  {
    from: ALLOC,
    what: 'a pool name that does not exist fails the ADD',
    pod: { [IPPOOL]: one(['no-such-pool', 'v4-a']) },
    bundle: true,
    want: { code: 101, msg: /SpiderIPPool "no-such-pool" \(IPv4\) does not exist/ },
  },
  {
    from: ALLOC,
    what: 'a pool listed twice for one NIC is refused',
    pod: { [IPPOOL]: one(['v4-a', 'v4-a']) },
    want: { code: 7, msg: /"v4-a" is listed twice/ },
  },
  {
    from: MANAGER,
    what: 'a wildcard that also matches a listed name is a duplicate',
    pod: { [IPPOOL]: one(['v4-wild-*', 'v4-wild-1']) },
    want: { code: 7, msg: /"v4-wild-1" is listed twice/ },
  },
  {
    from: MANAGER,
    what: 'a wildcard expands to the matching pools',
    pod: { [IPPOOL]: one(['v4-wild-[12]']) },
    want: { pools: ['v4-wild-1'] },
  },
  {
    from: DOC_POOL,
    what: 'dual stack: one address per family, a default route per family',
    pod: { [IPPOOL]: one(['v4-b'], ['v6-a']) },
    want: { pools: ['v4-b', 'v6-a'], routes: ['default via 10.32.0.1', 'default via fd31::1'] },
  },
  {
    from: SEL,
    what: 'namespace default pools apply when the pod names none',
    ns: 'nsdef',
    want: { pools: ['v4-b'] },
  },
  {
    from: SEL,
    what: 'the pod ippool annotation wins over namespace defaults',
    ns: 'nsdef',
    pod: { [IPPOOL]: one(['v4-a']) },
    want: { pools: ['v4-a'] },
  },
  {
    from: SEL,
    what: 'the ippools annotation wins over ippool',
    pod: { [IPPOOL]: one(['v4-b']), [IPPOOLS]: '[{"interface":"eth0","ipv4":["v4-a"]}]' },
    want: { pools: ['v4-a'] },
  },
  {
    from: SEL,
    what: 'the IPAM config default_ipv4_ippool applies when no annotation names pools',
    ipam: { default_ipv4_ippool: ['v4-b'] },
    bundle: true,
    want: { pools: ['v4-b'] },
  },
  {
    from: SEL,
    what: 'namespace defaults win over the IPAM config defaults',
    ns: 'nsdef',
    ipam: { default_ipv4_ippool: ['v4-a'] },
    want: { pools: ['v4-b'] },
  },
  {
    from: SEL,
    what: 'pools with spec.default serve when no rule names pools',
    want: { pools: ['v4-default'] },
  },
  {
    from: CNI_TYPES,
    what: 'clean_gateway in the IPAM config drops the default route',
    pod: { [IPPOOL]: one(['v4-a']) },
    ipam: { clean_gateway: true },
    bundle: true,
    want: { pools: ['v4-a'], routes: ['172.30.0.0/16 via 10.31.0.254'], noRoutes: ['default via 10.31.0.1'] },
  },
  {
    from: SEL,
    what: 'an ippools entry decides its own cleangateway over the IPAM config',
    pod: { [IPPOOLS]: '[{"interface":"eth0","ipv4":["v4-a"],"cleangateway":false}]' },
    ipam: { clean_gateway: true },
    want: { pools: ['v4-a'], routes: ['default via 10.31.0.1'] },
  },
  {
    from: UTILS,
    what: 'custom routes go to the NIC whose subnet holds their gateway',
    pod: { [IPPOOL]: one(['v4-a']), [ROUTES]: '[{"dst":"192.168.50.0/24","gw":"10.31.0.254"}]' },
    want: { pools: ['v4-a'], routes: ['192.168.50.0/24 via 10.31.0.254'] },
  },
  {
    from: UTILS,
    what: 'a custom route whose gateway is in no NIC subnet is left out',
    pod: { [IPPOOL]: one(['v4-a']), [ROUTES]: '[{"dst":"192.168.51.0/24","gw":"10.99.0.1"}]' },
    want: { pools: ['v4-a'], noRoutes: ['192.168.51.0/24 via 10.99.0.1'] },
  },
  {
    from: UTILS,
    what: 'a custom route with an invalid dst fails the ADD',
    pod: { [IPPOOL]: one(['v4-a']), [ROUTES]: '[{"dst":"300.1.0.0/16","gw":"10.31.0.254"}]' },
    bundle: true,
    want: { code: 7, msg: /is not a route/ },
  },
  {
    from: UTILS,
    what: 'a custom route mixing families fails the ADD',
    pod: { [IPPOOL]: one(['v4-a']), [ROUTES]: '[{"dst":"192.168.50.0/24","gw":"fd31::1"}]' },
    want: { code: 7, msg: /is not a route/ },
  },
  {
    from: ALLOC,
    what: 'eth0 under Multus: multusName matched against v1.multus-cni.io/default-network',
    pod: { [IPPOOL]: one(['v4-nad0']), [DEFAULT_NET]: 'kube-system/macvlan-vlan33' },
    bundle: true,
    want: { pools: ['v4-nad0'] },
  },
  {
    from: ALLOC,
    what: 'eth0 under Multus without the annotation: multusName matched against the cluster network',
    pod: { [IPPOOL]: one(['v4-nad0']) },
    ipam: { multusClusterNetwork: 'macvlan-vlan33' },
    want: { pools: ['v4-nad0'] },
  },
  {
    from: ALLOC,
    what: 'eth0 with neither the annotation nor a cluster network may not use a multusName pool',
    pod: { [IPPOOL]: one(['v4-nad0']) },
    want: { code: 101, msg: /spec\.multusName \[macvlan-vlan33\] does not include this interface/ },
  },
  {
    from: CNI_TYPES,
    what: 'clean_gateway must be a boolean',
    pod: { [IPPOOL]: one(['v4-a']) },
    ipam: { clean_gateway: 'yes' },
    badConf: true,
    want: { code: 7, msg: /ipam\.clean_gateway must be true or false/ },
  },
  {
    from: ALLOC,
    what: 'eth0 whose default network is another NAD may not use the pool',
    pod: { [IPPOOL]: one(['v4-nad0']), [DEFAULT_NET]: 'kube-system/macvlan-vlan99' },
    want: {
      code: 101,
      msg: /spec\.multusName \[macvlan-vlan33\] does not include kube-system\/macvlan-vlan99/,
    },
  },
  {
    from: ALLOC,
    what: 'net1: multusName matched against its networks annotation entry (pod namespace by default)',
    pod: { [IPPOOL]: one(['v4-nad1']), [NETWORKS]: 'extra34' },
    ifname: 'net1',
    network: 'extra34',
    want: { pools: ['v4-nad1'] },
  },
  {
    from: ALLOC,
    what: 'net1 attached through another NAD may not use the pool',
    pod: { [IPPOOL]: one(['v4-nad1']), [NETWORKS]: 'team/other' },
    ifname: 'net1',
    want: { code: 101, msg: /does not include team\/other/ },
  },
  {
    from: ALLOC,
    what: 'a disabled pool serves nobody',
    pod: { [IPPOOL]: one(['v4-off']) },
    want: { code: 101, msg: /disabled/ },
  },
  {
    from: DOC_AFFINITY,
    what: 'a pool bound to another node serves nobody here',
    pod: { [IPPOOL]: one(['v4-elsewhere']) },
    want: { code: 101, msg: /spec\.nodeName \[node9\] does not include node node1/ },
  },
  {
    from: ALLOC,
    what: 'match_master_subnet: the pool whose subnet is on the master serves',
    pod: { [IPPOOL]: one(['v4-other', 'v4-master']) },
    ipam: { match_master_subnet: true },
    bundle: true,
    want: { pools: ['v4-master'] },
  },
  {
    from: ALLOC,
    what: 'match_master_subnet: no pool on the master subnet fails the ADD',
    pod: { [IPPOOL]: one(['v4-other']) },
    ipam: { match_master_subnet: true },
    want: { code: 101, msg: /match_master_subnet: spec\.subnet 10\.36\.0\.0\/24 holds none/ },
  },
  {
    from: OURS,
    what: 'network and broadcast addresses listed in spec.ips are never handed out',
    pod: { [IPPOOL]: one(['v4-edges']) },
    want: { pools: ['v4-edges'] },
  },
];
