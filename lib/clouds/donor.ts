/**
 * The donor interface: everything the runtime code (the redirector, the replicator, the topology) knows about a cloud
 * that donates capacity. A donor is one folder, lib/clouds/<id>/, whose donor.ts exports one Donor, plus one line in
 * lib/clouds/donors.ts. Its infrastructure half (lib/clouds/<id>/infra/donor.ts, a DonorInfra from
 * lib/synth/donor-infra.ts) is named here by path only: runtime code, which esbuild bundles into the services' images,
 * never loads it; the tooling (synth, diff, deploy) does, and checks it when it does.
 *
 * Runtime-safe: no infrastructure library and no cloud SDK here or in anything a Donor imports (the redirector's
 * bundle carries the registry).
 */
import * as z from 'zod';
import type { TopologyProblem } from '../topology/errors';
import { MirrorShareSchema } from '../topology/routing-table';
import { quote } from '../topology/rule-helpers';
import type { RangeParser } from './ranges';

/** Where the official range file is: a fixed URL, or a page holding a link that matches `linkPattern`. */
export interface RangesDownload {
  readonly url: string;
  readonly linkPattern?: RegExp;
}

/** The two fields every donor's topology section carries, whatever else it holds. */
export interface DonorRollout {
  /** Off: no mirror of this donor in any routing table, no replication job into it, no synth of its app. */
  readonly enabled: boolean;
  /**
   * Percent (0..100, at most two decimals) of this donor's own clients sent to its mirrors, chosen per client address;
   * the others get their redirector region's default backend. 0 = dark launch, 100 = fully in rotation.
   */
  readonly trafficShare: number;
}

/**
 * A donor's section schema: its own fields plus `enabled` and `trafficShare` with the donor's defaults (an
 * established donor is on at 100%; a newly onboarded one starts dark, at 0%).
 */
export function donorSectionSchema<Shape extends z.ZodRawShape>(shape: Shape, defaults: DonorRollout) {
  return z.strictObject({
    ...shape,
    enabled: z.boolean().default(defaults.enabled),
    trafficShare: MirrorShareSchema.default(defaults.trafficShare),
  });
}

/** A cross-field rule of one section, in the style of lib/topology/validate.ts; paths are relative to the section. */
export type SectionRule<Section> = (section: Section) => TopologyProblem[];

/** Runs every rule and keeps all their problems, so a user sees every mistake at once. */
export function checkSection<Section>(rules: readonly SectionRule<Section>[], section: Section): TopologyProblem[] {
  return rules.flatMap((rule) => rule(section));
}

/** A section whose mirrors sit in some regions and whose other regions borrow one of them (an alias). */
export interface AliasedMirrors {
  readonly mirrorRegions: readonly string[];
  readonly regionAliases: Readonly<Record<string, string>>;
}

/** The mirror region serving clients of a region (itself, or its alias target); undefined if none. */
export function mirrorRegionFor(section: AliasedMirrors, region: string): string | undefined {
  if (section.mirrorRegions.includes(region)) return region;
  return section.regionAliases[region];
}

/**
 * The rule that an alias names a region without a mirror of its own and points at one that has it. `mirror` is what
 * the donor calls a mirror (`bucket`), `list` the topology path of its mirror regions (`aws.mirrorRegions`).
 */
export function aliasesPointAtMirrors(mirror: string, list: string): SectionRule<AliasedMirrors> {
  return (section) =>
    Object.entries(section.regionAliases).flatMap(([alias, target]) => {
      const path = `regionAliases.${alias}`;
      if (section.mirrorRegions.includes(alias))
        return [{ path, message: `${quote(alias)} has its own ${mirror} (in ${list}) and cannot be an alias` }];
      if (!section.mirrorRegions.includes(target))
        return [{ path, message: `alias target ${quote(target)} has no ${mirror} (not in ${list})` }];
      return [];
    });
}

/**
 * One replication job that copies the canonical repository into this donor: what the replicator is started with
 * after `<kind> --source <canonical repository>`. The kind is a replicate subcommand, i.e. a kind of
 * ReplicationDestination (lib/replicator/kinds.ts).
 */
export interface ReplicationTarget {
  /** Short name of the job, unique in the topology, e.g. `s3-upload`: the Cloud Run job and its identity are named after it. */
  readonly job: string;
  /** The replicate subcommand, e.g. `s3`, `registry`. */
  readonly kind: string;
  /** The kind's own flags, e.g. `['--bucket', 'b', '--region', 'us-east-2']`. */
  readonly args: readonly string[];
  /** Environment the job needs to reach the destination (no secrets: identities and audiences). */
  readonly env: Readonly<Record<string, string>>;
  /** The donor's regions this job writes itself (the others get the blobs from the donor's own replication). */
  readonly regions: readonly string[];
  /** Registry hosts it writes to, which may have their own request budgets; none for blob storage. */
  readonly registryHosts: readonly string[];
}

/**
 * A donor's part of the topology: the section under its id, and what the routing tables and the replication jobs
 * take from it. Each function sees its own section only; rules that span donors live in lib/topology/validate.ts.
 */
export interface DonorTopology<Section extends DonorRollout = DonorRollout> {
  /**
   * The section's schema, built with donorSectionSchema; `.optional()` for a donor a topology may leave out (it is
   * then off).
   */
  readonly schema: z.ZodType<Section | undefined>;
  /** Every problem of a schema-valid section, paths relative to the section (`mirrorRegions[3]`). */
  validate(section: Section): TopologyProblem[];
  /**
   * Client region (as this donor's ranges name it) -> public base URL of the blob mirror serving it: the region's own
   * or an alias target's (blob URL = base + `/containers/images/<digest>`). Empty for a donor whose clients are served
   * by the upstream itself.
   */
  mirrors(section: Section): Record<string, string>;
  /** The replication jobs that copy into this donor; empty when the donor needs none. */
  replicationTargets(section: Section): ReplicationTarget[];
}

export interface Donor<Section extends DonorRollout = DonorRollout> {
  /** Cloud id, e.g. `aws`: its topology section's key, its IP_RANGES name, its key in the routing table. */
  readonly id: string;
  /** How people call it in messages and summaries, e.g. `AWS`. */
  readonly displayName: string;
  /** Parser of its official IP-range file. */
  readonly parseRanges: RangeParser;
  readonly download: RangesDownload;
  /** File name fetch-ip-ranges writes. */
  readonly fileName: string;
  /**
   * Its topology section, mirrors and replication targets; absent for a donor whose ranges are only classified
   * (known clients, no mirrors of its own).
   */
  readonly topology?: DonorTopology<Section>;
  /**
   * Its infrastructure part, relative to the repository root without extension (`lib/clouds/aws/infra/donor`):
   * a module exporting `donorInfra`, loaded by the tooling only (lib/synth/donor-infra.ts).
   */
  readonly infra?: string;
}

/** A donor's section of a parsed topology; undefined when the topology leaves it out. */
export function sectionOf<Section extends DonorRollout>(topology: object, donor: Donor<Section>): Section | undefined {
  return (topology as Record<string, unknown>)[donor.id] as Section | undefined;
}

/** Whether the donor takes part in this topology: it has a section, and the section is enabled. */
export function isEnabled(topology: object, donor: Donor): boolean {
  return donor.topology !== undefined && sectionOf(topology, donor)?.enabled === true;
}
