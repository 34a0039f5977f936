// The C parts' sources and build-time definitions, shared by scripts/build.mjs (the shipped -O2
// builds) and scripts/build-sanitized.mjs (the ASan+UBSan test builds), so both compile the same code.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

/** The shim: main program plus its wire format unit (also linked into the fuzz targets). */
export const shimSources = [join(root, 'src', 'shim', 'shim.c'), join(root, 'src', 'shim', 'wire.c')];
/** The netlink addon plus its receive path (also linked into the fuzz targets). */
export const addonSources = [
  join(root, 'src', 'kernel', 'netlink', 'addon.c'),
  join(root, 'src', 'kernel', 'netlink', 'nlrecv.c'),
];

/** -D flags of the shim for the given plugin types: node path, VERSION answer, served types. */
export function shimDefines(types) {
  // The shim answers VERSION itself with the plugins' own text (skel.ts versionInfo), read from types.ts.
  const cniTypes = readFileSync(join(root, 'src', 'cni', 'types.ts'), 'utf8');
  const supported = /SUPPORTED_VERSIONS = \[([^\]]*)\]/.exec(cniTypes)?.[1]?.match(/[\d.]+/g) ?? [];
  const current = /CURRENT_VERSION: CniVersion = '([\d.]+)'/.exec(cniTypes)?.[1];
  const versionJson = current ? JSON.stringify({ cniVersion: current, supportedVersions: supported }) : '';
  return [
    `-DTRUNKLINE_NODE_PATH="${process.execPath}"`,
    `-DTRUNKLINE_VERSION_JSON=${JSON.stringify(versionJson)}`,
    `-DTRUNKLINE_TYPES=${JSON.stringify(types.join(','))}`,
  ];
}

/** Node's headers (node_api.h) for the addon, or undefined. */
export function nodeInclude() {
  return [join(dirname(process.execPath), '..', 'include', 'node'), '/usr/include/node'].find((d) =>
    existsSync(join(d, 'node_api.h')),
  );
}
