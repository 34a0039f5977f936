import { cli } from '../cli/main.js';
import { errorChain } from '../cni/log.js';

cli(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e: unknown) => {
    // An error nobody expected: its stack and every cause below it.
    process.stderr.write(`trunkline: ${errorChain(e)}\n`);
    process.exit(1);
  },
);
