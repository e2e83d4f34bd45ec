/**
 * Runs the redirector: `npm run redirector` (configuration from the environment and --topology/--region; see
 * docs/redirector.md). Exits 2 on a bad command line or configuration, 1 on an unusable range file or routing
 * tables file, 0 after a graceful drain.
 */
// First: it configures zod before any schema is built (see the module).
import '../lib/redirector/zod-once';
import { RangeFileError } from '../lib/clouds/ranges';
import { commandLineOrExit, USAGE_EXIT_CODE } from '../lib/config/command-line';
import { BuiltTablesError, readBuiltTables } from '../lib/redirector/built-tables';
import { ConfigError, configFromEnv, TABLE_FLAGS, TABLE_FLAGS_USAGE } from '../lib/redirector/config';
import { loadRangeIndex, withBundledRangeIndex } from '../lib/redirector/load-ranges';
import { RedirectorLog } from '../lib/redirector/log';
import { BatchedOutput } from '../lib/redirector/log-output';
import { releaseMemoryWhenIdle } from '../lib/redirector/memory';
import { Redirector } from '../lib/redirector/server';

const USAGE = `Usage: npm run redirector -- [--topology FILE] [--region R]
Serves the registry's redirects; every other setting comes from the environment (IP_RANGES, required unless the
range index built by npm run build:redirector lies beside the bundle), see docs/redirector.md.
${TABLE_FLAGS_USAGE}
  -h, --help        this text`;

/** The default topology's tables beside the bundle, if any; a damaged file stops start-up (exit 1), as an index would. */
function builtTablesOrExit() {
  try {
    return readBuiltTables(__dirname);
  } catch (err) {
    if (!(err instanceof BuiltTablesError)) throw err;
    process.stderr.write(`${err.message}\n`);
    process.exit(1);
  }
}

async function main(): Promise<void> {
  const startedAt = performance.now();
  const flags = commandLineOrExit({ name: 'redirector', usage: USAGE, flags: TABLE_FLAGS }, ({ values }) => values);
  let config;
  try {
    // The bundle's own ranges and default tables (build:redirector puts them beside it) unless the environment or
    // the flags name others.
    config = configFromEnv(withBundledRangeIndex(process.env, __dirname), flags, builtTablesOrExit());
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(USAGE_EXIT_CODE);
    }
    throw err;
  }
  // Lines are batched into 16 KiB synchronous writes to stdout (an asynchronous destination's thread-pool writes
  // compete with the request path on one vCPU), flushed at least every second, and before exit.
  const stdout = new BatchedOutput(1);
  stdout.flushEvery(1000);
  const log = new RedirectorLog({
    level: config.logLevel,
    region: config.table.region,
    projectId: config.projectId,
    sink: stdout,
  });
  const logger = log.logger;
  let index;
  try {
    index = loadRangeIndex(config.ipRanges);
  } catch (err) {
    if (err instanceof RangeFileError) {
      logger.fatal({ file: err.fileName, entry: err.entry }, err.message);
      stdout.flush();
      process.stderr.write(`${err.message}\n`);
      process.exit(1);
    }
    throw err;
  }
  const redirector = new Redirector({ config, index, log });
  const { port, adminPort } = await redirector.listen();
  logger.info(
    {
      port,
      adminPort,
      table: config.tableSource,
      ranges: config.ipRanges,
      intervals: index.intervalCount,
      startupMs: Math.round(performance.now() - startedAt),
    },
    'listening',
  );
  // After a burst, V8 keeps the heap it grew into until it collects again, which an idle process never does.
  releaseMemoryWhenIdle();
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'draining');
    redirector.drain().then(
      () => {
        logger.info('stopped');
        stdout.flush();
        process.exit(0);
      },
      (err: unknown) => {
        logger.error({ err }, 'drain failed');
        stdout.flush();
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
}

main().catch((err: unknown) => {
  process.stderr.write(`redirector failed to start: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
