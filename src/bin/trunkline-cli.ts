import { cli } from '../cli/main.js';

cli(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e: unknown) => {
    process.stderr.write(`trunkline: ${(e as Error)?.stack ?? String(e)}\n`);
    process.exit(1);
  },
);
