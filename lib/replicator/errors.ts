/** Exit codes of `replicate` (documented in docs/replicator.md) and the errors that map to them. */

export const ExitCode = {
  /** Everything selected is in place. */
  ok: 0,
  /** The run finished but some images or blobs failed (digest mismatch, retries exhausted...): rerun after fixing. */
  itemsFailed: 1,
  /** Bad command line, images file or environment: nothing was attempted. */
  usage: 2,
  /** Could not start: the source, a destination or the bucket is unreachable or refused us, or the selection failed. */
  unavailable: 3,
  /** Interrupted by SIGINT (128 + 2) or SIGTERM (128 + 15); a rerun finishes the work. */
  interrupted: 130,
  terminated: 143,
} as const;

/** A problem with what the operator asked for (flags, images file, environment): exit code 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** A failure before any copying could start (unreachable endpoint, authentication, listing): exit code 3. */
export class StartupError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StartupError';
  }
}

export function describeError(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return typeof code === 'string' && !error.message.includes(code) ? `${error.message} (${code})` : error.message;
  }
  return String(error);
}
