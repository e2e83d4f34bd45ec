/** Statistics the benchmarks share. */

/** The median: the middle value, or the mean of the two middle ones for an even count. */
export function median(values: readonly number[]): number {
  if (values.length === 0) throw new Error('median of no values');
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/**
 * Each of `runs`' values against the mean of its two neighbours in `reference`: the reference ran just before and
 * just after each run (reference, run, reference, run, ..., reference), so a drift of the machine's speed that is
 * steady over the three cancels. `reference` holds one value more than `runs`.
 */
export function ratiosToNeighbours(runs: readonly number[], reference: readonly number[]): number[] {
  if (reference.length !== runs.length + 1) {
    throw new Error(
      `${runs.length} runs need ${runs.length + 1} reference values around them, not ${reference.length}`,
    );
  }
  return runs.map((value, index) => value / ((reference[index]! + reference[index + 1]!) / 2));
}
