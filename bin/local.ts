/**
 * `npm run local`: the whole system on one machine (see lib/local/cli.ts and the README's "Running the services
 * locally").
 */
import { commandLineOrExit } from '../lib/config/command-line';
import { FLAGS, localOptions, runLocal, USAGE } from '../lib/local/cli';

const options = commandLineOrExit({ name: 'local', usage: USAGE, flags: FLAGS }, localOptions);
runLocal(options, { stdout: process.stdout, stderr: process.stderr }).then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(
      `local: unexpected failure: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exit(1);
  },
);
