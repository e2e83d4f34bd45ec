/**
 * The diff itself: a pure function of two synth outputs. Per donor app and stack, the resource deltas of the engine
 * for the kind of output the app writes (CloudFormation or Terraform JSON); then the danger rules over each delta;
 * then the routing impact of the redirector services' tables.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import type { OutputKind } from '../synth/donor-infra';
import {
  readCdkTemplates,
  readCdktfConfigs,
  type CloudFormationTemplate,
  type TerraformConfig,
} from '../synth/read-output';
import { cloudFormationDeltas, cloudFormationGrants } from './cloudformation';
import { dangerOf, type DangerContext } from './danger';
import type { Change, Cloud, DiffReport, Grant, ResourceDelta } from './model';
import { routingImpact, routingTablesOf } from './routing';
import { terraformConfigGrants, terraformDeltas } from './terraform';

type Stacks<T> = Readonly<Record<string, T>>;

/** One donor app's output: stack name -> template or configuration. */
export type AppOutput =
  | { readonly kind: 'cloudformation-assembly'; readonly stacks: Stacks<CloudFormationTemplate> }
  | { readonly kind: 'terraform-json'; readonly stacks: Stacks<TerraformConfig> };

/** What one side synthesized: donor id -> its app's output; a donor whose app did not run on that side is absent. */
export type SynthOutput = Readonly<Record<Cloud, AppOutput>>;

/** An app as the diff reads it: whose it is, where it wrote, and what. */
export interface ComparedApp {
  readonly donor: Cloud;
  readonly outdir: string;
  readonly outputKind: OutputKind;
}

/** How one kind of output is read and compared. */
interface Engine<Stack> {
  readonly read: (outdir: string) => Record<string, Stack>;
  readonly deltas: (cloud: Cloud, stack: string, base: Stack | undefined, head: Stack | undefined) => ResourceDelta[];
  /** Every grant one stack makes. */
  readonly grants: (stack: Stack) => Grant[];
}

const ENGINES: { readonly [K in AppOutput['kind']]: Engine<Extract<AppOutput, { kind: K }>['stacks'][string]> } = {
  'cloudformation-assembly': { read: readCdkTemplates, deltas: cloudFormationDeltas, grants: cloudFormationGrants },
  'terraform-json': { read: readCdktfConfigs, deltas: terraformDeltas, grants: terraformConfigGrants },
};

/** The engine of a kind, for stacks of that kind (TypeScript cannot tie a union's kind to its stacks by itself). */
const engineOf = (kind: OutputKind) => ENGINES[kind] as Engine<unknown>;

/**
 * Reads the apps that ran on one side, each from `dir/<its output dir>`; an app that wrote nothing (a donor the
 * topology leaves off writes no output) has no stacks.
 */
export function readSynthOutput(dir: string, apps: readonly ComparedApp[]): SynthOutput {
  return Object.fromEntries(
    apps.map(({ donor, outdir, outputKind }) => {
      const path = join(dir, outdir);
      const stacks = existsSync(join(path, 'manifest.json')) ? engineOf(outputKind).read(path) : {};
      return [donor, { kind: outputKind, stacks } as AppOutput];
    }),
  );
}

function stacksOf<T>(base: Stacks<T>, head: Stacks<T>): string[] {
  return [...new Set([...Object.keys(base), ...Object.keys(head)])].sort();
}

/** The stacks whose content differs (most of them, in most changes, do not: the engines need not see them). */
function changedStacks<T>(base: Stacks<T>, head: Stacks<T>): string[] {
  return stacksOf(base, head).filter((stack) => !isDeepStrictEqual(base[stack], head[stack]));
}

/** One app's deltas; a side without the app (or with another kind of output) has none of its stacks. */
function appDeltas(cloud: Cloud, kind: OutputKind, base: AppOutput | undefined, head: AppOutput | undefined) {
  const stacksOn = (side: AppOutput | undefined) => (side?.kind === kind ? side.stacks : {});
  const [before, after] = [stacksOn(base), stacksOn(head)];
  const { deltas } = engineOf(kind);
  return changedStacks(before, after).flatMap((stack) => deltas(cloud, stack, before[stack], after[stack]));
}

function deltasOf(base: SynthOutput, head: SynthOutput): ResourceDelta[] {
  const clouds = [...new Set([...Object.keys(base), ...Object.keys(head)])].sort();
  return clouds.flatMap((cloud) => {
    const kinds = [...new Set([base[cloud]?.kind, head[cloud]?.kind])].filter((k): k is OutputKind => k !== undefined);
    return kinds.flatMap((kind) => appDeltas(cloud, kind, base[cloud], head[cloud]));
  });
}

/** Every principal the base grants anything to, read only for a cloud whose change grants something. */
function basePrincipals(base: SynthOutput): DangerContext['basePrincipals'] {
  const read = new Map<Cloud, ReadonlySet<string>>();
  return (cloud) => {
    if (!read.has(cloud)) {
      const app = base[cloud];
      const grants = app ? Object.values(app.stacks).flatMap(engineOf(app.kind).grants) : [];
      read.set(cloud, new Set(grants.map((grant) => grant.principal)));
    }
    return read.get(cloud)!;
  };
}

/**
 * Every app's Terraform configurations, where the redirector services carry their routing tables. Stack names are
 * unique across Terraform apps: they share one state backend, keyed by stack.
 */
function terraformStacks(output: SynthOutput): Stacks<TerraformConfig> {
  return Object.fromEntries(
    Object.values(output).flatMap((app) => (app.kind === 'terraform-json' ? Object.entries(app.stacks) : [])),
  );
}

const keysOf = (deltas: readonly ResourceDelta[], action: ResourceDelta['action']) =>
  new Set(deltas.filter((d) => d.action === action).map((d) => `${d.cloud}/${d.stack}/${d.resource}`));

/** Code-point order: stable across locales, and `type.name` before `type_suffix.name` as Terraform lists them. */
const byCodePoint = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

const ACTION_ORDER = ['remove', 'replace', 'modify', 'add'];

/** Flagged changes first, then by cloud, stack, action (most destructive first) and resource. */
function byReviewOrder(a: Change, b: Change): number {
  return (
    Number(b.danger.length > 0) - Number(a.danger.length > 0) ||
    byCodePoint(a.cloud, b.cloud) ||
    byCodePoint(a.stack, b.stack) ||
    ACTION_ORDER.indexOf(a.action) - ACTION_ORDER.indexOf(b.action) ||
    byCodePoint(a.resource, b.resource)
  );
}

export function compareSynthOutputs(base: SynthOutput, head: SynthOutput, ref: string): DiffReport {
  const deltas = deltasOf(base, head);
  const context: DangerContext = {
    added: keysOf(deltas, 'add'),
    removed: keysOf(deltas, 'remove'),
    basePrincipals: basePrincipals(base),
  };
  const changes = deltas
    .map((delta): Change => ({
      cloud: delta.cloud,
      stack: delta.stack,
      resource: delta.resource,
      type: delta.type,
      action: delta.action,
      paths: delta.values.map((value) => value.path),
      danger: dangerOf(delta, context),
      values: delta.values,
    }))
    .sort(byReviewOrder);
  const routing = routingImpact(routingTablesOf(terraformStacks(base)), routingTablesOf(terraformStacks(head)));
  return { base: ref, changes, routing };
}

export interface ExitOptions {
  readonly failOnDestructive: boolean;
  /** Resource types whose flagged changes are accepted. */
  readonly allowDestructive: readonly string[];
}

/** 0 no change, 2 changes, 3 a flagged change of a type not allowed when --fail-on-destructive is set. */
export function exitCodeOf(report: DiffReport, options: ExitOptions): 0 | 2 | 3 {
  if (report.changes.length === 0 && report.routing.length === 0) return 0;
  const blocking = report.changes.filter(
    (change) => change.danger.length > 0 && !options.allowDestructive.includes(change.type),
  );
  return options.failOnDestructive && blocking.length > 0 ? 3 : 2;
}
