/**
 * The short report `npm run synth` prints: per cloud, its stacks and resources by type. Pure functions over the
 * synthesized output (already parsed), so the same output always gives the same summary.
 */

export interface StackSummary {
  readonly name: string;
  /** Resource type -> how many, e.g. `AWS::S3::Bucket` or `google_cloud_run_v2_service`. */
  readonly resourcesByType: Readonly<Record<string, number>>;
}

export interface CloudSummary {
  readonly cloud: string;
  readonly outdir: string;
  readonly stacks: readonly StackSummary[];
}

/** Counts the resources of a CloudFormation template by `Type`. */
export function countCloudFormationResources(template: {
  Resources?: Record<string, { Type: string }>;
}): Record<string, number> {
  return countBy(Object.values(template.Resources ?? {}).map((resource) => resource.Type));
}

/** Counts the resources of a Terraform JSON configuration (`resource.<type>.<name>`) by type. */
export function countTerraformResources(config: {
  resource?: Record<string, Record<string, unknown>>;
}): Record<string, number> {
  return Object.fromEntries(
    Object.entries(config.resource ?? {}).map(([type, instances]) => [type, Object.keys(instances).length]),
  );
}

function countBy(values: readonly string[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const value of values) counts[value] = (counts[value] ?? 0) + 1;
  return counts;
}

function totals(stacks: readonly StackSummary[]): Map<string, number> {
  const byType = new Map<string, number>();
  for (const stack of stacks) {
    for (const [type, count] of Object.entries(stack.resourcesByType))
      byType.set(type, (byType.get(type) ?? 0) + count);
  }
  return byType;
}

/** Human-readable lines: one header per cloud, then resource types by count (most first, then by name). */
export function formatSummary(clouds: readonly CloudSummary[]): string {
  const lines: string[] = [];
  for (const { cloud, outdir, stacks } of clouds) {
    const byType = [...totals(stacks)].sort(([a, x], [b, y]) => y - x || a.localeCompare(b));
    const resourceCount = byType.reduce((sum, [, count]) => sum + count, 0);
    lines.push(`${cloud}: ${stacks.length} stacks, ${resourceCount} resources -> ${outdir}/`);
    const width = Math.max(...byType.map(([type]) => type.length), 0);
    for (const [type, count] of byType) lines.push(`  ${type.padEnd(width)}  ${String(count).padStart(5)}`);
  }
  return lines.join('\n');
}
