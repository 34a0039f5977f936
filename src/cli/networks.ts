// `trunkline networks`: every NetworkAttachmentDefinition, from the manifest dir or a cluster, with
// its plugin chain, master and VLAN, mode and the pools its NICs draw from.
// `trunkline networks validate` is `trunkline validate`.

import { DEFAULT_MANIFEST_DIR, LocalSource } from '../cluster/local/source.js';
import type { NetworkAttachmentDefinition, SpiderIPPool, SpiderReservedIP } from '../cluster/types.js';
import { errorText } from '../cni/errors.js';
import { parseCommand, usageError } from './args.js';
import { type NadSummary, summarizeNad } from './nad-summary.js';
import { table } from './table.js';
import { VALIDATE_SPEC, validateCommand } from './validate.js';

const NETWORKS_SPEC = {
  name: 'trunkline networks',
  usage: `usage: trunkline networks [--manifest-dir DIR | --kubeconfig FILE] [--json] [NAMESPACE/NAME ...]
       trunkline networks validate -f FILE [-f FILE ...]   (same as trunkline validate)

Lists the NetworkAttachmentDefinitions with their plugin chain (an IPAM in brackets), the master
interface and VLAN (from the macvlan plugin's master/vlanID, or a master named <link>.<id>), the mode
(overlay: a coordinator in overlay mode or the trunkline.io/network-mode annotation; otherwise
standalone) and the pools a NIC of that network may draw from, in the order the IPAM tries them
(pod/node/namespace affinities aside: those depend on the pod).

options:
  --manifest-dir DIR   manifests to read (default ${DEFAULT_MANIFEST_DIR})
  --kubeconfig FILE    read the cluster of this kubeconfig instead
  --json               machine-readable output

exit status: 0 listed (a network with problems is flagged, not an error: use validate); 1 a named
network does not exist, or the manifests or the cluster cannot be read; 2 usage error.
`,
  options: {
    'manifest-dir': { type: 'string' },
    kubeconfig: { type: 'string' },
    json: { type: 'boolean' },
  },
  positionals: true,
} as const;

export const NETWORKS_SPECS = [NETWORKS_SPEC, { ...VALIDATE_SPEC, name: 'trunkline networks validate' }];

interface World {
  nads: NetworkAttachmentDefinition[];
  pools: SpiderIPPool[];
  reserved: SpiderReservedIP[];
}

async function read(manifestDir: string, kubeconfig: string | undefined): Promise<World> {
  const source = kubeconfig
    ? new (await import('../cluster/kubernetes/source.js')).KubernetesSource({ kubeconfig })
    : new LocalSource({ manifestDir });
  const [nads, pools, reserved] = await Promise.all([
    source.listNetworkAttachmentDefinitions(),
    source.listIPPools(),
    source.listReservedIPs(),
  ]);
  return { nads, pools, reserved };
}

const poolsColumn = (s: NadSummary): string => {
  const named = [...s.pools.ipv4, ...s.pools.ipv6];
  if (named.length > 0) return named.join(',');
  return s.poolsFrom ?? '-';
};

export async function networksCommand(argv: string[]): Promise<number> {
  if (argv[0] === 'validate') return validateCommand(argv.slice(1), 'trunkline networks validate');
  const p = parseCommand(NETWORKS_SPEC, argv);
  if (typeof p === 'number') return p;
  const { kubeconfig } = p.values;
  const manifestDir = p.values['manifest-dir'] ?? DEFAULT_MANIFEST_DIR;
  if (kubeconfig !== undefined && p.values['manifest-dir'] !== undefined)
    return usageError(
      NETWORKS_SPEC.name,
      '--manifest-dir and --kubeconfig exclude each other',
      NETWORKS_SPEC.usage,
    );
  let world: World;
  try {
    world = await read(manifestDir, kubeconfig);
  } catch (e) {
    process.stderr.write(`trunkline networks: ${errorText(e)}\n`);
    return 1;
  }
  const wanted: string[] = p.positionals;
  const key = (n: NetworkAttachmentDefinition) => `${n.metadata.namespace}/${n.metadata.name}`;
  const missing = wanted.filter((w) => !world.nads.some((n) => key(n) === w));
  if (missing.length > 0) {
    process.stderr.write(
      `trunkline networks: no NetworkAttachmentDefinition ${missing.join(', ')} in ${kubeconfig ?? manifestDir} (expected NAMESPACE/NAME)\n`,
    );
    return 1;
  }
  const shown = world.nads
    .filter((n) => wanted.length === 0 || wanted.includes(key(n)))
    .sort((a, b) => key(a).localeCompare(key(b)));
  const rows = shown.map((n) => summarizeNad(n, world.pools, world.reserved));
  if (p.values.json) {
    process.stdout.write(`${JSON.stringify({ networks: rows }, null, 2)}\n`);
    return 0;
  }
  if (rows.length === 0) {
    process.stdout.write(`no NetworkAttachmentDefinitions in ${kubeconfig ?? manifestDir}\n`);
    return 0;
  }
  const lines = [['NETWORK', 'MODE', 'MASTER', 'VLAN', 'POOLS', 'CHAIN']];
  for (const s of rows)
    lines.push([
      `${s.name}${s.problems.length > 0 ? ' (!)' : ''}`,
      s.mode,
      s.master ?? '-',
      s.vlan === undefined ? '-' : String(s.vlan),
      poolsColumn(s),
      s.chain.join(' → '),
    ]);
  process.stdout.write(`${table(lines)}\n`);
  for (const s of rows.filter((r) => r.problems.length > 0 || r.rejected.length > 0)) {
    process.stdout.write(`\n${s.name}:\n`);
    for (const x of s.problems) process.stdout.write(`  ! ${x}\n`);
    for (const r of s.rejected) process.stdout.write(`  pool ${r.pool} not usable: ${r.reason}\n`);
  }
  return 0;
}
