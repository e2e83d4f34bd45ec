/** Configuration problems: each names the variable or flag it comes from, and all of them are reported at once. */
import type { z } from 'zod';

/** One thing wrong with the configuration: the variable or flag, and what. */
export interface ConfigProblem {
  readonly variable: string;
  readonly message: string;
}

export class ConfigError extends Error {
  constructor(readonly problems: readonly ConfigProblem[]) {
    super(`invalid redirector configuration:\n${problems.map((p) => `  - ${p.variable}: ${p.message}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** zod issues as problems; the issue path under `prefix` names the variable (`ROUTING_TABLE.upstream.path`). */
export function zodProblems(error: z.ZodError, prefix: string): ConfigProblem[] {
  return error.issues.map((issue) => ({
    variable: [prefix, ...issue.path.map(String)].filter(Boolean).join('.'),
    message: issue.message,
  }));
}
