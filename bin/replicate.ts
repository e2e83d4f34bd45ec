/**
 * Entry point of the replication jobs (what the Cloud Run jobs run):
 *   replicate s3 --source <host>/<path> --bucket <name> [...]
 *   replicate registry --source <host>/<path> --dest <host>/<path> [...]
 * See docs/replicator.md for every flag, the exit codes and the credentials.
 */
import { ExitCode, runReplicate } from '../lib/replicator';

// A kill mid-run is safe by construction (nothing partial is ever visible; a rerun finishes): report and exit.
for (const [signal, code] of [
  ['SIGINT', ExitCode.interrupted],
  ['SIGTERM', ExitCode.terminated],
] as const) {
  process.once(signal, () => {
    process.stderr.write(`replicate: ${signal}, stopping; a rerun finishes the work\n`);
    process.exit(code);
  });
}

runReplicate(process.argv.slice(2), {
  env: process.env,
  stderr: process.stderr,
  tty: process.stdout.isTTY ? process.stderr : undefined,
}).then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(
      `replicate: unexpected failure: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exit(ExitCode.itemsFailed);
  },
);
