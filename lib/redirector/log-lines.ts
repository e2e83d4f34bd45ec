/**
 * The vocabulary of the redirector's log lines that others select on: the observability stack's log-based metrics
 * (lib/clouds/gcp/infra/observability/log-metrics.ts) import it from here, so the lines and the metrics counting
 * them cannot drift apart. Runtime-safe and dependency-free.
 */
import type { BreakerState } from './mirror-health';

/** The info line of each image pull (a manifest GET). */
export const PULL_MESSAGE = 'image pull';

/**
 * The line of each change of a backend's circuit breaker: `message` "breaker", `state` (a BreakerState) and
 * `origin` (the backend's origin); WARNING when it opens (its clients go to the upstream), INFO otherwise.
 */
export const BREAKER_LINE = { message: 'breaker', openState: 'open' } as const satisfies {
  readonly message: string;
  readonly openState: BreakerState;
};
