// The `trunkline` command line. Subcommands load lazily so `trunkline pools` does not pay for the
// lab or the agent.
type Command = (argv: string[]) => Promise<number>;

const COMMANDS: Record<string, { help: string; load: () => Promise<Command> }> = {
  host: {
    help: 'declarative host networking (nmstate subset): host apply -f host.yaml | host show',
    load: async () => (await import('./host.js')).hostCommand,
  },
  lab: {
    help: 'the seed scenario end to end: lab up [scenario.yaml] [--flat] [--json] | report [--out f.svg] | down',
    load: async () => (await import('./lab.js')).labCommand,
  },
  pools: {
    help: 'each IP pool with total/allocated/free and who holds what',
    load: async () => (await import('./pools.js')).poolsCommand,
  },
  agent: {
    help: 'the node agent: our plugins in-process behind a unix socket (--socket, --metrics-port, --max-connections)',
    load: async () => (await import('./agent.js')).agentCommand,
  },
  controller: {
    help: 'the cluster controller: leader election, pool status repair, IP GC (--kubeconfig, --identity, --listen)',
    load: async () => (await import('./controller.js')).controllerCommand,
  },
  webhook: {
    help: 'the admission webhook for pools, NADs and pods (--kubeconfig, --listen, --service)',
    load: async () => (await import('./webhook.js')).webhookCommand,
  },
  install: {
    help: 'put the CNI plugins, agent and 00-trunkline.conflist onto this host (--watch keeps them current)',
    load: async () => (await import('./install.js')).installCommand,
  },
  uninstall: {
    help: 'remove exactly what install wrote',
    load: async () => (await import('./install.js')).uninstallCommand,
  },
  demo: {
    help: 'a short scenario: namespaces, ADD a macvlan NIC, show it, DEL it',
    load: async () => (await import('./demo.js')).demoCommand,
  },
};

function usage(): string {
  const rows = Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(8)} ${c.help}`);
  return `usage: trunkline <command> [options]\n\ncommands:\n${rows.join('\n')}\n`;
}

export async function cli(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === 'help' || name === '--help' || name === '-h') {
    process.stdout.write(usage());
    return name ? 0 : 2;
  }
  const cmd = COMMANDS[name];
  if (!cmd) {
    process.stderr.write(`trunkline: unknown command "${name}"\n${usage()}`);
    return 2;
  }
  return (await cmd.load())(rest);
}
