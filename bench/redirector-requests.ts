/**
 * The requests both redirector benchmarks send (bench/redirector.ts over sockets with wrk, bench/redirector-handler.ts
 * to the handler in process): the same clients, blob and trace, so that their numbers describe the same work.
 */

/** A blob digest (nothing checks that the blob exists but the AWS client's mirror check, answered by a stand-in). */
export const BENCH_DIGEST = `sha256:${'5f'.repeat(32)}`;
/** An eu-west-1 address in the real AWS file, then the load balancer's address (Google LB form). */
export const AWS_CLIENT_XFF = '3.248.0.10, 34.1.1.1';
/** A us-central1 address in the real Google Cloud file: the upstream's own cloud, sent there without a check. */
export const GCP_CLIENT_XFF = '8.34.210.10, 34.1.1.1';
/** What the Google load balancer adds to every request (trace id / span id; o=1: sampled). */
export const TRACE_HEADER = {
  name: 'X-Cloud-Trace-Context',
  value: '105445aa7843bc8bf206b120001000ab/1234567890123456789;o=1',
} as const;
/** GOOGLE_CLOUD_PROJECT of the server, as on Cloud Run, so that the pull line carries the trace. */
export const BENCH_PROJECT = 'bench-project';
