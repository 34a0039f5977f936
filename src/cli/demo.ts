// `trunkline demo`: the foundation's short scenario (the lab supersedes it for the full topology).
import { dirname, join } from 'node:path';
import { runDemo } from '../lab/demo.js';

export async function demoCommand(argv: string[]): Promise<number> {
  const pluginDir = argv[0] ?? join(dirname(process.argv[1] ?? '.'));
  const { ok } = await runDemo({ pluginDir, refDir: '/usr/lib/cni' });
  return ok ? 0 : 1;
}
