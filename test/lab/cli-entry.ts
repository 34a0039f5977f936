// `node --import tsx test/lab/cli-entry.ts lab …` (or its esbuild bundle in the VM): the lab command
// without depending on src/cli/main.ts wiring it in.
import { labCommand } from '../../src/cli/lab.js';

const argv = process.argv.slice(2);
labCommand(argv[0] === 'lab' ? argv.slice(1) : argv).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    process.stderr.write(`trunkline lab: ${(e as Error)?.stack ?? String(e)}\n`);
    process.exitCode = 1;
  },
);
