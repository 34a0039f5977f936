// What `trunkline install` copies from a built dist/ onto the host: the shims into the CNI bin dir,
// and beside that dir (the shim execs <its dir>/../plugins/<type>.js when no agent answers) the
// plugin bundles with their start-up snapshots (<type>.blob), the native parts and the agent.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

interface PayloadFile {
  source: string;
  dest: string;
  mode: number;
}

function files(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((n) => !n.startsWith('.') && statSync(join(dir, n)).isFile())
    .sort();
}

export function payload(sourceDir: string, binDir: string, payloadDir: string): PayloadFile[] {
  const shims = files(join(sourceDir, 'cni'));
  const plugins = files(join(sourceDir, 'plugins'));
  const bundles = plugins.filter((n) => n.endsWith('.js'));
  if (shims.length === 0 || bundles.length === 0)
    throw new Error(
      `${sourceDir}: expected a built dist/ (cni/<type> shims and plugins/<type>.js), found ${shims.length} shims and ${bundles.length} bundles`,
    );
  return [
    ...shims.map((n) => ({ source: join(sourceDir, 'cni', n), dest: join(binDir, n), mode: 0o755 })),
    ...plugins
      .filter((n) => n.endsWith('.js') || n.endsWith('.blob'))
      .map((n) => ({
        source: join(sourceDir, 'plugins', n),
        dest: join(payloadDir, 'plugins', n),
        mode: n.endsWith('.blob') ? 0o644 : 0o755,
      })),
    ...files(join(sourceDir, 'lib')).map((n) => ({
      source: join(sourceDir, 'lib', n),
      dest: join(payloadDir, 'lib', n),
      mode: 0o644,
    })),
    ...files(join(sourceDir, 'agent')).map((n) => ({
      source: join(sourceDir, 'agent', n),
      dest: join(payloadDir, 'agent', n),
      mode: 0o755,
    })),
  ];
}
