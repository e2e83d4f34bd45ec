/**
 * The diff itself: a pure function of two synth outputs. Per cloud and stack, the resource deltas of that cloud's
 * engine; then the danger rules over each delta; then the routing impact of the redirector services' tables.
 */
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import {
  readCdkTemplates,
  readCdktfConfigs,
  type CloudFormationTemplate,
  type TerraformConfig,
} from '../synth/read-output';
import { awsDeltas, awsGrants } from './aws';
import { dangerOf, type DangerContext } from './danger';
import { gcpDeltas, gcpGrants } from './gcp';
import type { Change, Cloud, DiffReport, ResourceDelta } from './model';
import { routingImpact, routingTablesOf } from './routing';

/** What both apps synthesized: stack name -> template, per cloud. */
export interface SynthOutput {
  readonly aws: Readonly<Record<string, CloudFormationTemplate>>;
  readonly gcp: Readonly<Record<string, TerraformConfig>>;
}

/** Reads a directory holding `cdk.out/` and `cdktf.out/`, as the diff's synth writes them. */
export function readSynthOutput(dir: string): SynthOutput {
  return { aws: readCdkTemplates(join(dir, 'cdk.out')), gcp: readCdktfConfigs(join(dir, 'cdktf.out')) };
}

function stacksOf<T>(base: Readonly<Record<string, T>>, head: Readonly<Record<string, T>>): string[] {
  return [...new Set([...Object.keys(base), ...Object.keys(head)])].sort();
}

/** The stacks whose content differs (most of them, in most changes, do not: the engines need not see them). */
function changedStacks<T>(base: Readonly<Record<string, T>>, head: Readonly<Record<string, T>>): string[] {
  return stacksOf(base, head).filter((stack) => !isDeepStrictEqual(base[stack], head[stack]));
}

function deltasOf(base: SynthOutput, head: SynthOutput): ResourceDelta[] {
  return [
    ...changedStacks(base.aws, head.aws).flatMap((stack) => awsDeltas(stack, base.aws[stack], head.aws[stack])),
    ...changedStacks(base.gcp, head.gcp).flatMap((stack) => gcpDeltas(stack, base.gcp[stack], head.gcp[stack])),
  ];
}

/** Every principal the base grants anything to, read only for a cloud whose change grants something. */
function basePrincipals(base: SynthOutput): Record<Cloud, ReadonlySet<string>> {
  const principals = {
    aws: () => Object.values(base.aws).flatMap(awsGrants),
    gcp: () =>
      Object.values(base.gcp).flatMap((config) =>
        Object.entries(config.resource ?? {}).flatMap(([type, named]) =>
          Object.values(named).flatMap((body) => gcpGrants(type, body)),
        ),
      ),
  };
  const read = new Map<Cloud, ReadonlySet<string>>();
  const of = (cloud: Cloud) => {
    if (!read.has(cloud)) read.set(cloud, new Set(principals[cloud]().map((grant) => grant.principal)));
    return read.get(cloud)!;
  };
  return {
    get aws() {
      return of('aws');
    },
    get gcp() {
      return of('gcp');
    },
  };
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
  const routing = routingImpact(routingTablesOf(base.gcp), routingTablesOf(head.gcp));
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
