/**
 * The request handler's own cost, without sockets: `npx tsx bench/redirector-handler.ts [PATH ...]` (PATH: v2,
 * manifest, manifest-untraced, gcp-blob; default all). A Redirector with the real AWS + GCP + Azure ranges, the
 * default topology's table for its canonical region and the pull line on (written in batches to /dev/null, as the service writes
 * to stdout) answers stand-in requests and responses: CPU nanoseconds per request, best of 15 rounds of 200,000.
 *
 * On a shared machine a server's req/s moves with the other load by more than a change of a few hundred nanoseconds;
 * this number barely does. Compare two trees by running this same file in each, alternately. Under tsx, module
 * wrappers add about 15% to both.
 */
import { openSync } from 'node:fs';
import { answerText, type Answer } from '../lib/redirector/http1/answer';
import type { Http1Exchange } from '../lib/redirector/http1/server';
import { configFromEnv } from '../lib/redirector/config';
import { loadRangeIndex } from '../lib/redirector/load-ranges';
import { RedirectorLog } from '../lib/redirector/log';
import { BatchedOutput } from '../lib/redirector/log-output';
import { Redirector } from '../lib/redirector/server';
import { REAL_RANGE_SOURCES } from '../test/support/real-ranges';
import { AWS_CLIENT_XFF, BENCH_DIGEST, BENCH_PROJECT, GCP_CLIENT_XFF, TRACE_HEADER } from './redirector-requests';

const ROUNDS = 15;
const REQUESTS = 200_000;
const TRACE = [TRACE_HEADER.name, TRACE_HEADER.value];
const AWS_CLIENT = ['X-Forwarded-For', AWS_CLIENT_XFF];
const GCP_CLIENT = ['X-Forwarded-For', GCP_CLIENT_XFF];

/** Each path as bench/redirector.ts sends it (the manifest also without the trace header, to price the trace). */
const PATHS: Record<string, { readonly url: string; readonly rawHeaders: readonly string[] }> = {
  v2: { url: '/v2/', rawHeaders: ['Host', 'localhost', ...TRACE] },
  manifest: { url: '/v2/pause/manifests/3.10', rawHeaders: ['Host', 'localhost', ...TRACE, ...AWS_CLIENT] },
  'manifest-untraced': { url: '/v2/pause/manifests/3.10', rawHeaders: ['Host', 'localhost', ...AWS_CLIENT] },
  'gcp-blob': {
    url: `/v2/pause/blobs/${BENCH_DIGEST}`,
    rawHeaders: ['Host', 'localhost', ...TRACE, ...GCP_CLIENT],
  },
};

type Handle = (exchange: Http1Exchange) => void;

function redirector(output: BatchedOutput): Redirector {
  const config = configFromEnv({
    IP_RANGES: REAL_RANGE_SOURCES.map(({ cloud, file }) => `${cloud}=${file}`).join(','),
    GOOGLE_CLOUD_PROJECT: BENCH_PROJECT,
    LOG_LEVEL: 'info',
  });
  const log = new RedirectorLog({
    level: config.logLevel,
    region: config.table.region,
    projectId: config.projectId,
    sink: output,
  });
  return new Redirector({ config, index: loadRangeIndex(config.ipRanges), log });
}

/** CPU nanoseconds per request on `path`, the best of ROUNDS rounds. */
function cost(handle: Handle, path: (typeof PATHS)[string]): number {
  // The answer's bytes are made as the edge makes them; only the socket write is left out.
  const date = new Date().toUTCString();
  const exchange = {
    method: 'GET',
    ...path,
    remoteAddress: '127.0.0.1',
    answered: false,
    answer: (answer: Answer) => answerText(answer, false, 'default', date),
  } as unknown as Http1Exchange;
  let best = Infinity;
  for (let round = 0; round < ROUNDS; round++) {
    const started = process.cpuUsage();
    for (let i = 0; i < REQUESTS; i++) handle(exchange);
    const used = process.cpuUsage(started);
    best = Math.min(best, ((used.user + used.system) * 1000) / REQUESTS);
  }
  return best;
}

function main(): void {
  const names = process.argv.slice(2);
  for (const name of names)
    if (!(name in PATHS)) throw new Error(`unknown path ${name} (known: ${Object.keys(PATHS).join(', ')})`);
  const output = new BatchedOutput(openSync('/dev/null', 'w'));
  const server = redirector(output);
  // The handler is private: this bench calls it as the edge would.
  const handle = (server as unknown as { handle: Handle }).handle.bind(server);
  const rows = (names.length > 0 ? names : Object.keys(PATHS)).map(
    (name) => `${name} ${cost(handle, PATHS[name]!).toFixed(0)} ns`,
  );
  output.flush();
  server.existence.close();
  console.log(`${rows.join(', ')} (CPU per request, best of ${ROUNDS} x ${REQUESTS})`);
}

main();
