/**
 * The full fuzz run of the redirector: `npm run fuzz:redirector` (flags: --requests, --concurrency, --seed; see
 * --help). FUZZ_SEED=N replays the run of seed N; without it or --seed, a random seed, printed first.
 *
 * 100,000 hostile requests, structured and raw-socket, against the redirector as the image runs it (the output of
 * npm run build:redirector, on 127.0.0.1): zero 5xx, zero Location outside the configured hosts, no crash or hang,
 * and RSS back within 10% of its post-warm-up value once the run is over (test/redirector/fuzz/harness.ts). Prints
 * the report as JSON and exits 1 if a requirement is broken.
 * The short version of the same run is part of `npm test` (test/redirector/fuzz.test.ts).
 */
import { commandLineOrExit, FlagError, wholeNumberFlag } from '../lib/config/command-line';
import { fuzzRedirector, verdict } from '../test/redirector/fuzz/harness';

const USAGE = `Usage: npm run fuzz:redirector -- [--requests N] [--concurrency N] [--seed N]
Sends N hostile requests to a redirector started on 127.0.0.1 and checks every answer.
  --requests N      how many requests (default 100000)
  --concurrency N   how many at a time (default 16)
  --seed N          the run to replay (or FUZZ_SEED=N); default: a random seed, printed first
  -h, --help        this text`;

const FLAGS = {
  requests: { type: 'string' },
  concurrency: { type: 'string' },
  seed: { type: 'string' },
} as const;

const MAX_SEED = 2 ** 32 - 1;

async function main(): Promise<void> {
  const options = commandLineOrExit({ name: 'fuzz:redirector', usage: USAGE, flags: FLAGS }, ({ values }) => {
    const seedText = values.seed ?? process.env.FUZZ_SEED;
    if (values.seed === undefined && seedText !== undefined && !/^\d+$/.test(seedText))
      throw new FlagError(`FUZZ_SEED ${JSON.stringify(seedText)} is not a whole number`);
    return {
      requests: values.requests ? wholeNumberFlag('--requests', values.requests, 1, 10_000_000) : 100_000,
      concurrency: values.concurrency ? wholeNumberFlag('--concurrency', values.concurrency, 1, 1000) : 16,
      seed:
        seedText === undefined
          ? Math.floor(Math.random() * MAX_SEED)
          : wholeNumberFlag('--seed', seedText, 0, MAX_SEED),
    };
  });
  process.stderr.write(`fuzz:redirector: seed ${options.seed} (replay: FUZZ_SEED=${options.seed})\n`);
  const report = await fuzzRedirector({
    ...options,
    onProgress: (done) => process.stderr.write(`fuzz:redirector: ${done} requests\n`),
  });
  process.stdout.write(`${JSON.stringify({ ...report, failures: report.failures.slice(0, 50) }, null, 2)}\n`);
  const problems = verdict(report);
  if (problems.length > 0) {
    process.stderr.write(`fuzz:redirector: FAILED (seed ${options.seed})\n${problems.join('\n')}\n`);
    process.exit(1);
  }
  process.stderr.write(
    `fuzz:redirector: passed: ${report.requests} requests in ${report.seconds} s, no 5xx, no stray Location, ` +
      `RSS ${report.rssMb.warm} MB after the warm-up, ${report.rssMb.end} at the end (peak ${report.rssMb.peak}), ` +
      `${report.rssMb.idle} once idle\n`,
  );
}

main().catch((err: unknown) => {
  process.stderr.write(`fuzz:redirector failed: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
