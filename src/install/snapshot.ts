// A start-up snapshot (dist/plugins/<type>.blob, see src/cni/snapshot.ts) loads only in the Node
// build that wrote it. Install copies a blob only when the node it installs beside the plugins
// (<payload>/lib/node, which the shim prefers) starts from it and answers VERSION; otherwise the blob
// stays out and the shim runs the plain bundle at once, instead of a rejected first start per call.
import { spawnSync } from 'node:child_process';

/** Whether `node --snapshot-blob blob bundle` runs the plugin: it answers CNI VERSION with its versions. */
export function blobFits(node: string, blob: string, bundle: string): boolean {
  const r = spawnSync(node, ['--snapshot-blob', blob, bundle], {
    env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', CNI_COMMAND: 'VERSION' },
    stdio: ['ignore', 'pipe', 'ignore'],
    encoding: 'utf8',
    timeout: 30_000,
  });
  return r.status === 0 && r.stdout.includes('"supportedVersions"');
}
