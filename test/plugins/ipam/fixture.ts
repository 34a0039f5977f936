// A self-contained trunkline-ipam installation in a temp dir, laid out like dist/: the executable
// bundled exactly as scripts/build.mjs does (cni/trunkline-ipam, CommonJS, shebang) with the sqlite
// addon in lib/, so the executable finds its native binding the way an installed one does.
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { ROOT } from '../../helpers/paths.js';

export interface IpamInstall {
  dir: string;
  exe: string;
  manifestDir: string;
  stateDir: string;
  db: string;
  cleanup(): void;
}

export async function installIpam(manifests: Record<string, string>): Promise<IpamInstall> {
  const dir = mkdtempSync(join(tmpdir(), 'trunkline-ipam-plugin-'));
  const exe = join(dir, 'cni', 'trunkline-ipam');
  mkdirSync(join(dir, 'lib'), { recursive: true });
  await build({
    entryPoints: [join(ROOT, 'src', 'bin', 'trunkline-ipam.ts')],
    outfile: exe,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    banner: { js: '#!/usr/bin/env node' },
    logLevel: 'error',
  });
  chmodSync(exe, 0o755);
  copyFileSync(
    join(ROOT, 'node_modules', 'better-sqlite3', 'build', 'Release', 'better_sqlite3.node'),
    join(dir, 'lib', 'better_sqlite3.node'),
  );
  const manifestDir = join(dir, 'etc');
  mkdirSync(manifestDir);
  for (const [name, text] of Object.entries(manifests)) writeFileSync(join(manifestDir, name), text);
  return {
    dir,
    exe,
    manifestDir,
    stateDir: join(dir, 'state'),
    db: join(dir, 'state', 'ipam.db'),
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** The network config a main plugin would pass on (its own fields plus the ipam section). */
export function netConf(
  inst: IpamInstall,
  ipam: Record<string, unknown> = {},
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    cniVersion: '1.1.0',
    name: 'underlay',
    type: 'trunkline-macvlan',
    master: 'bond0.100',
    ipam: {
      type: 'trunkline-ipam',
      manifestDir: inst.manifestDir,
      stateDir: inst.stateDir,
      store: { type: 'sqlite', path: inst.db },
      nodeName: 'node1',
      ...ipam,
    },
    ...extra,
  };
}

export const podArgs = (ns: string, name: string, uid = `uid-${name}`) =>
  `IgnoreUnknown=1;K8S_POD_NAMESPACE=${ns};K8S_POD_NAME=${name};K8S_POD_INFRA_CONTAINER_ID=x;K8S_POD_UID=${uid}`;
