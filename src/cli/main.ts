// The `trunkline` command line. Subcommands load lazily so `trunkline pools` does not pay for the
// lab or the agent.
import type { CommandSpec } from './args.js';
import { completionScript } from './completion.js';

type Command = (argv: string[]) => Promise<number>;
// biome-ignore lint/suspicious/noExplicitAny: specs of any option shape
type AnySpec = CommandSpec<any>;

interface Entry {
  help: string;
  load: () => Promise<Command>;
  /** The command's and subcommands' specs, for shell completion. */
  specs?: () => Promise<AnySpec[]>;
}

// To add a command: one line here, its module exports the command (and optionally its specs).
const COMMANDS: Record<string, Entry> = {
  host: {
    help: 'declarative host networking (nmstate subset): host apply -f host.yaml | host show',
    load: async () => (await import('./host.js')).hostCommand,
    specs: async () => (await import('./host.js')).HOST_SPECS,
  },
  lab: {
    help: 'the seed scenario end to end: lab up [scenario.yaml] [--flat] [--json] | report [--out f.svg] | down',
    load: async () => (await import('./lab.js')).labCommand,
    specs: async () => (await import('./lab.js')).LAB_SPECS,
  },
  pools: {
    help: 'each IP pool with total/allocated/free and who holds what; pools release IP | pools gc',
    load: async () => (await import('./pools.js')).poolsCommand,
    specs: async () => (await import('./pools.js')).POOLS_SPECS,
  },
  networks: {
    help: 'each NetworkAttachmentDefinition: plugin chain, master, VLAN, mode, pools; networks validate -f FILE',
    load: async () => (await import('./networks.js')).networksCommand,
    specs: async () => (await import('./networks.js')).NETWORKS_SPECS,
  },
  validate: {
    help: 'check manifests (pools, reserved IPs, NADs, pods) as the webhook and plugins would: validate -f FILE…',
    load: async () => (await import('./validate.js')).validateCommand,
    specs: async () => [(await import('./validate.js')).VALIDATE_SPEC],
  },
  agent: {
    help: 'the node agent: our plugins in-process behind a unix socket (--socket, --metrics-port, --max-connections)',
    load: async () => (await import('./agent.js')).agentCommand,
    specs: async () => [(await import('./agent.js')).AGENT_SPEC],
  },
  controller: {
    help: 'the cluster controller: leader election, pool status repair, IP GC (--kubeconfig, --identity, --listen)',
    load: async () => (await import('./controller.js')).controllerCommand,
    specs: async () => [(await import('./controller.js')).CONTROLLER_SPEC],
  },
  webhook: {
    help: 'the admission webhook for pools, NADs and pods (--kubeconfig, --listen, --service)',
    load: async () => (await import('./webhook.js')).webhookCommand,
  },
  install: {
    help: 'put the CNI plugins, agent and 00-trunkline.conflist onto this host (--watch keeps them current)',
    load: async () => (await import('./install.js')).installCommand,
    specs: async () => [(await import('./install.js')).INSTALL_SPEC],
  },
  uninstall: {
    help: 'remove exactly what install wrote',
    load: async () => (await import('./install.js')).uninstallCommand,
    specs: async () => [(await import('./install.js')).UNINSTALL_SPEC],
  },
  demo: {
    help: 'a short scenario: namespaces, ADD a macvlan NIC, show it, DEL it',
    load: async () => (await import('./demo.js')).demoCommand,
    specs: async () => [(await import('./demo.js')).DEMO_SPEC],
  },
  completion: {
    help: 'print a shell completion script: completion bash | completion zsh',
    load: async () => completionCommand,
  },
};

// Replaced by the build with package.json's version.
declare const TRUNKLINE_VERSION: string | undefined;
const version = (): string => (typeof TRUNKLINE_VERSION === 'string' ? TRUNKLINE_VERSION : 'dev');

function usage(): string {
  const rows = Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(10)} ${c.help}`);
  return `usage: trunkline <command> [options]    (trunkline <command> --help for each)

commands:
${rows.join('\n')}

options:
  -h, --help      this help
  --version       print the version

exit status: 0 success; 1 the command failed (e.g. an unknown pool, a failed apply); 2 usage error
(unknown command or flag, missing or invalid argument); some commands add their own, see their --help.
`;
}

async function completionCommand(argv: string[]): Promise<number> {
  const shell = argv[0];
  const USAGE =
    'usage: trunkline completion bash|zsh\n\n  bash: source <(trunkline completion bash)\n  zsh:  source <(trunkline completion zsh)\n';
  if (shell === '--help' || shell === '-h') {
    process.stdout.write(USAGE);
    return 0;
  }
  if ((shell !== 'bash' && shell !== 'zsh') || argv.length > 1) {
    process.stderr.write(
      `trunkline completion: expected bash or zsh, found ${argv.join(' ') || 'nothing'}\n${USAGE}`,
    );
    return 2;
  }
  const specs: AnySpec[] = [];
  for (const e of Object.values(COMMANDS)) specs.push(...((await e.specs?.()) ?? []));
  process.stdout.write(completionScript(shell, Object.keys(COMMANDS), specs));
  return 0;
}

export async function cli(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined) {
    process.stderr.write(usage());
    return 2;
  }
  if (name === 'help' || name === '--help' || name === '-h') {
    process.stdout.write(usage());
    return 0;
  }
  if (name === '--version' || name === 'version') {
    process.stdout.write(`trunkline ${version()}\n`);
    return 0;
  }
  const cmd = COMMANDS[name];
  if (!cmd) {
    const what = name.startsWith('-') ? `unknown option "${name}"` : `unknown command "${name}"`;
    process.stderr.write(`trunkline: ${what}\n${usage()}`);
    return 2;
  }
  return (await cmd.load())(rest);
}
