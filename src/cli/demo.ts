// `trunkline demo`: the foundation's short scenario (the lab supersedes it for the full topology).
import { realpathSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { runDemo } from '../lab/demo.js';
import { parseCommand } from './args.js';
import { missingPrivilege } from './privilege.js';

export const DEMO_SPEC = {
  name: 'trunkline demo',
  usage: `usage: trunkline demo [PLUGIN_DIR]

Makes network namespaces, ADDs a macvlan NIC through the built plugins, shows it, DELs it, and removes
everything. PLUGIN_DIR holds the CNI executables (default: dist/cni beside this program). Needs root.
exit status: 0 the scenario passed, 1 a step failed, 2 usage error.
`,
  options: {},
  positionals: true,
} as const;

export async function demoCommand(argv: string[]): Promise<number> {
  const p = parseCommand(DEMO_SPEC, argv);
  if (typeof p === 'number') return p;
  const pluginDir = p.positionals[0] ?? join(dirname(dirname(realpathSync(process.argv[1] ?? '.'))), 'cni');
  const missing = missingPrivilege({ netAdmin: true });
  if (missing !== undefined) {
    process.stderr.write(`trunkline demo: ${missing}\n`);
    return 1;
  }
  const { ok } = await runDemo({ pluginDir, refDir: '/usr/lib/cni' });
  return ok ? 0 : 1;
}
