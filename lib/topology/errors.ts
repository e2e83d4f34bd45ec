/** One thing wrong with a topology: where (a field path like `aws.mirrorRegions[3]`) and what. */
export interface TopologyProblem {
  readonly path: string;
  readonly message: string;
}

/** Thrown when a topology cannot be used; carries every problem found, not just the first. */
export class TopologyError extends Error {
  constructor(
    readonly source: string,
    readonly problems: readonly TopologyProblem[],
  ) {
    super(
      `invalid topology (${source}): ${problems.length} problem${problems.length === 1 ? '' : 's'}\n` +
        problems.map((p) => `  - ${p.path || '(root)'}: ${p.message}`).join('\n'),
    );
    this.name = 'TopologyError';
  }
}
