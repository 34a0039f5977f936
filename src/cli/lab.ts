// `trunkline lab up|down|report`: the seed scenario end to end on one machine (see examples/lab.yaml).
import { existsSync, realpathSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { errorText } from '../cni/errors.js';
import { defaultKernel } from '../kernel/index.js';
import { type LabBase, labDown } from '../lab/down.js';
import { LabScenarioError } from '../lab/errors.js';
import { DEFAULT_PREFIX, DEFAULT_STATE_DIR, statePaths } from '../lab/names.js';
import { readRecord, readReport } from '../lab/record.js';
import { renderReport } from '../lab/render.js';
import { loadScenario } from '../lab/scenario/load.js';
import { renderSvg } from '../lab/svg.js';
import { probeKernel } from '../lab/topology.js';
import { labUp, variantOf } from '../lab/up.js';
import { labGuest, upInVm, vmRunner } from '../lab/vm.js';
import { parseCommand, usageError } from './args.js';
import { missingPrivilege } from './privilege.js';

const USAGE = `usage: trunkline lab <command> [options]
  up [scenario.yaml] [--flat] [--json]   build the scenario (default examples/lab.yaml), attach its pods
                                          through the CNI entry point, test reachability, print the report
  report [--out file.svg]                 draw the last run's topology, pods and pools as SVG
  down [--json]                           remove everything the lab made (namespaces, state, allocations)
options:
  --flat               host kernel variant: a bridge per VLAN, no 802.1q/bonding (labelled in every output)
  --no-vm              never use the VM runner (fail when the kernel lacks 802.1q/bonding)
  --no-agent           no per-node agents: every plugin call starts its own process
  --state-dir DIR      lab state (default ${DEFAULT_STATE_DIR}; env TRUNKLINE_LAB_STATE)
  --prefix P           namespace prefix (default ${DEFAULT_PREFIX}; env TRUNKLINE_LAB_PREFIX)
  --plugin-dir DIR     the built CNI executables (default: beside this program; env TRUNKLINE_LAB_PLUGIN_DIR)
  --ref-plugin-dir DIR reference plugins for the simulated cluster network (default /usr/lib/cni)
`;

interface Args {
  cmd: string;
  positional: string[];
  flat: boolean;
  json: boolean;
  noVm: boolean;
  noAgent: boolean;
  out?: string;
  stateDir: string;
  prefix: string;
  pluginDir: string;
  refPluginDir: string;
}

const OPTIONS = {
  flat: { type: 'boolean' },
  json: { type: 'boolean' },
  'no-vm': { type: 'boolean' },
  'no-agent': { type: 'boolean' },
  out: { type: 'string' },
  'state-dir': { type: 'string' },
  prefix: { type: 'string' },
  'plugin-dir': { type: 'string' },
  'ref-plugin-dir': { type: 'string' },
} as const;
const spec = (sub: string) =>
  ({ name: `trunkline lab ${sub}`, usage: USAGE, options: OPTIONS, positionals: true }) as const;
export const LAB_SPECS = [
  { name: 'trunkline lab', usage: USAGE, options: {} },
  spec('up'),
  spec('report'),
  spec('down'),
];

/** The CNI executables of the build this CLI belongs to: dist/bin/trunkline → dist/cni. */
function builtPluginDir(): string {
  return join(dirname(dirname(realpathSync(process.argv[1] ?? '.'))), 'cni');
}

function parse(argv: string[]): Args | number {
  const [cmd, ...rest] = argv;
  if (cmd === undefined) return usageError('trunkline lab', 'missing command (up, report or down)', USAGE);
  if (cmd === 'help') {
    process.stdout.write(USAGE);
    return 0;
  }
  if (cmd.startsWith('-')) {
    const top = parseCommand(LAB_SPECS[0]!, argv);
    return typeof top === 'number'
      ? top
      : usageError('trunkline lab', 'missing command (up, report or down)', USAGE);
  }
  const p = parseCommand(spec(cmd), rest);
  if (typeof p === 'number') return p;
  const v = p.values;
  const a: Args = {
    cmd,
    positional: p.positionals,
    flat: v.flat === true,
    json: v.json === true,
    noVm: v['no-vm'] === true,
    noAgent: v['no-agent'] === true,
    ...(v.out !== undefined ? { out: v.out } : {}),
    stateDir: resolve(v['state-dir'] ?? (process.env['TRUNKLINE_LAB_STATE'] || DEFAULT_STATE_DIR)),
    prefix: v.prefix ?? (process.env['TRUNKLINE_LAB_PREFIX'] || DEFAULT_PREFIX),
    pluginDir: resolve(v['plugin-dir'] ?? (process.env['TRUNKLINE_LAB_PLUGIN_DIR'] || builtPluginDir())),
    refPluginDir: resolve(v['ref-plugin-dir'] ?? '/usr/lib/cni'),
  };
  if (!/^[a-z0-9-]{1,20}$/.test(a.prefix))
    return usageError(
      'trunkline lab',
      `--prefix: expected up to 20 of [a-z0-9-], found ${JSON.stringify(a.prefix)}`,
      USAGE,
    );
  return a;
}

function defaultScenario(pluginDir: string): string {
  const beside = resolve(pluginDir, '..', '..', 'examples', 'lab.yaml');
  return existsSync(beside) ? beside : resolve('examples', 'lab.yaml');
}

export async function labCommand(argv: string[]): Promise<number> {
  const a = parse(argv);
  if (typeof a === 'number') return a;
  // With --json the data owns stdout; progress goes to stderr.
  const say = (l: string) => (a.json ? process.stderr : process.stdout).write(`${l}\n`);
  const base: LabBase = {
    prefix: a.prefix,
    stateDir: a.stateDir,
    pluginDir: a.pluginDir,
    refPluginDir: a.refPluginDir,
    say,
    kernel: defaultKernel(),
    ...(a.noAgent ? { agents: false } : {}),
  };
  const missing =
    a.cmd === 'up' || a.cmd === 'down' || a.cmd === 'guest'
      ? missingPrivilege({ netAdmin: true, writes: [a.stateDir] })
      : undefined;
  if (missing !== undefined) {
    process.stderr.write(`trunkline lab ${a.cmd}: ${missing}; nothing was changed\n`);
    return 1;
  }
  try {
    switch (a.cmd) {
      case 'up':
        return await up(a, base);
      case 'guest':
        return await labGuest(base, loadScenario(a.positional[0] ?? defaultScenario(a.pluginDir)));
      case 'down': {
        say(`Trunkline lab down (${a.stateDir})`);
        const r = await labDown(base);
        if (a.json) process.stdout.write(`${JSON.stringify(r, null, 2)}\n`);
        return r.errors.length === 0 && r.leftoverNamespaces.length === 0 ? 0 : 1;
      }
      case 'report':
        return report(a);
      default:
        process.stderr.write(`trunkline lab: unknown command "${a.cmd}"\n${USAGE}`);
        return 2;
    }
  } catch (e) {
    if (e instanceof LabScenarioError) {
      process.stderr.write(`trunkline lab: ${errorText(e)}\nnothing was built.\n`);
      if (a.json) process.stdout.write(`${JSON.stringify({ ok: false, issues: e.issues }, null, 2)}\n`);
      return 2;
    }
    const msg = errorText(e);
    process.stderr.write(`trunkline lab ${a.cmd}: ${msg}\n`);
    if (a.cmd === 'up')
      process.stderr.write(
        readRecord(statePaths(a.stateDir).record) !== undefined
          ? 'what was built so far stays up for inspection; `trunkline lab down` removes it, `lab up` starts over.\n'
          : 'nothing was built.\n',
      );
    if (a.json) process.stdout.write(`${JSON.stringify({ ok: false, error: msg }, null, 2)}\n`);
    return 1;
  }
}

async function up(a: Args, base: LabBase): Promise<number> {
  const s = loadScenario(a.positional[0] ?? defaultScenario(a.pluginDir));
  const variant = variantOf(s, a.flat);
  const inVm = process.env['TRUNKLINE_IN_VM'] === '1';
  if (variant === 'vlan') {
    const support = await probeKernel(base.kernel, base.prefix);
    if (!support.vlan || !support.bond) {
      const vm = vmRunner(a.pluginDir);
      if (inVm || a.noVm || vm.runner === undefined) {
        throw new Error(
          `step "kernel check" failed: the ${s.name} scenario needs 802.1q and bonding, and this kernel has ${support.detail}.` +
            `\n  ${inVm ? 'even the VM kernel lacks them' : a.noVm ? 'drop --no-vm to run it in the VM runner' : `cannot use the VM runner: ${vm.why}`}; or run the flat variant: trunkline lab up --flat`,
        );
      }
      base.say(
        `This kernel has ${support.detail}: running the ${s.name} scenario INSIDE the VM runner (${vm.runner}, Debian kernel under qemu)`,
      );
      const cli = guestCli(a.pluginDir);
      const { report, code } = await upInVm(base, s, vm.runner, cli);
      if (report === undefined)
        throw new Error(`step "VM run" failed: the VM runner exited with status ${code} without a report`);
      if (a.json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
      else base.say(`(ran in the VM and was torn down there; \`trunkline lab report\` draws it)`);
      return code;
    }
  }
  const report = await labUp(base, s, variant);
  if (a.json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  else process.stdout.write(renderReport(report));
  return report.ok ? 0 : 1;
}

/** How the guest runs this command: the CLI bundle beside the plugins, or TRUNKLINE_LAB_CLI (JSON argv). */
function guestCli(pluginDir: string): string[] {
  const env = process.env['TRUNKLINE_LAB_CLI'];
  if (env) {
    const argv = JSON.parse(env) as unknown;
    if (Array.isArray(argv) && argv.every((x) => typeof x === 'string') && argv.length > 0)
      return argv as string[];
    throw new Error(`TRUNKLINE_LAB_CLI: expected a JSON list of strings, found ${env}`);
  }
  return [process.execPath, join(pluginDir, '..', 'bin', 'trunkline')];
}

function report(a: Args): number {
  const r = readReport(statePaths(a.stateDir).report);
  if (r === undefined) {
    process.stderr.write(
      `trunkline lab report: no lab report in ${a.stateDir} (run \`trunkline lab up\` first)\n`,
    );
    return 1;
  }
  const out = resolve(a.out ?? 'trunkline-lab.svg');
  writeFileSync(out, renderSvg(r));
  process.stdout.write(`wrote ${out} (${r.run.label}; ${r.run.kernel})\n`);
  return 0;
}
