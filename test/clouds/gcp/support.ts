/** Synthesizing the GCP app in-process for tests, and reading the Terraform JSON it produces. */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Testing } from 'cdktf';
import { addGcpStacks } from '../../../lib/clouds/gcp/infra/app';
import type { GcpStackKey } from '../../../lib/clouds/gcp/infra/names';
import {
  DEFAULT_TOPOLOGY,
  parseTopology,
  parseTopologyText,
  type Topology,
  type TopologyInput,
} from '../../../lib/topology';

export const SMALL_TOPOLOGY_FILE = join(__dirname, '..', '..', 'fixtures', 'topology-small.yaml');

/** A synthesized stack: `resource.<type>.<logical id>` = configuration, as Terraform reads it. */
export interface TerraformJson {
  readonly resource: Record<string, Record<string, Record<string, unknown>>>;
  readonly output?: Record<string, { value: string; description?: string }>;
  readonly terraform: { backend?: Record<string, Record<string, unknown>> };
  readonly provider: Record<string, Record<string, unknown>[]>;
}

export type SynthesizedGcp = Record<GcpStackKey, TerraformJson> & { readonly json: Record<GcpStackKey, string> };

export function defaultTopology(): Topology {
  return parseTopology(DEFAULT_TOPOLOGY, 'default');
}

/** The small fixture, optionally changed before validation. */
export function smallTopology(change: (raw: TopologyInput) => void = () => {}): Topology {
  const raw = parseTopologyText(readFileSync(SMALL_TOPOLOGY_FILE, 'utf8'), SMALL_TOPOLOGY_FILE) as TopologyInput;
  change(raw);
  return parseTopology(raw, SMALL_TOPOLOGY_FILE);
}

/** Builds every GCP stack of a topology and returns each stack's Terraform JSON; writes only to a removed temp dir. */
export function synthesizeGcp(topology: Topology): SynthesizedGcp {
  const outdir = mkdtempSync(join(tmpdir(), 'gcp-synth-'));
  try {
    const stacks = addGcpStacks(Testing.app({ outdir }), topology);
    const json = Object.fromEntries(
      Object.entries(stacks).map(([key, stack]) => [key, Testing.synth(stack)]),
    ) as Record<GcpStackKey, string>;
    const parsed = Object.fromEntries(Object.entries(json).map(([key, text]) => [key, JSON.parse(text)]));
    return { ...(parsed as Record<GcpStackKey, TerraformJson>), json };
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

/** The configurations of every resource of a type in a stack. */
export function resourcesOf(stack: TerraformJson, type: string): Record<string, unknown>[] {
  return Object.values(stack.resource[type] ?? {});
}

export function countOf(stack: TerraformJson, type: string): number {
  return resourcesOf(stack, type).length;
}

/** Every IAM grant (`*_iam_member`, `*_iam_binding`, `*_iam_policy`) of a stack, with its resource type. */
export function iamGrantsOf(
  stack: TerraformJson,
): { type: string; role: string; members: string[]; config: Record<string, unknown> }[] {
  return Object.entries(stack.resource)
    .filter(([type]) => /_iam_(member|binding|policy)$/.test(type))
    .flatMap(([type, byId]) =>
      Object.values(byId).map((config) => ({
        type,
        role: String(config.role),
        members:
          config.member !== undefined ? [String(config.member)] : ((config.members as string[] | undefined) ?? []),
        config,
      })),
    );
}
