/**
 * A CDK app's side (a cloud assembly, e.g. AWS's): CloudFormation templates compared by the CDK's own diff engine
 * (@aws-cdk/cloudformation-diff), which knows from the resource specification which property changes replace a
 * resource and reads IAM statements and security-group rules out of every policy shape. This file only translates
 * its answer.
 */
import {
  DifferenceCollection,
  fullDiff,
  ResourceImpact,
  TemplateDiff,
  type ResourceDifference,
} from '@aws-cdk/cloudformation-diff';
import type { CloudFormationTemplate } from '../synth/read-output';
import type { Action, Cloud, Grant, ResourceDelta } from './model';
import { valueChanges } from './values';

type Statement = TemplateDiff['iamChanges']['statements']['additions'][number];

const ACTION_OF_IMPACT: Record<ResourceImpact, Action> = {
  [ResourceImpact.WILL_CREATE]: 'add',
  [ResourceImpact.WILL_IMPORT]: 'add',
  [ResourceImpact.WILL_DESTROY]: 'remove',
  [ResourceImpact.WILL_ORPHAN]: 'remove',
  // "May replace" depends on values only known at deploy time: a reviewer must assume the worst.
  [ResourceImpact.WILL_REPLACE]: 'replace',
  [ResourceImpact.MAY_REPLACE]: 'replace',
  [ResourceImpact.WILL_UPDATE]: 'modify',
  [ResourceImpact.NO_CHANGE]: 'modify',
};

const REPLACING = new Set([ResourceImpact.WILL_REPLACE, ResourceImpact.MAY_REPLACE]);

function grantsOf(statements: readonly Statement[]): Grant[] {
  return statements.flatMap((statement) =>
    statement.principals.values.map((principal) => ({
      principal,
      effect: statement.isNegativeStatement ? ('deny' as const) : ('allow' as const),
      actions: statement.actions.values,
      resources: statement.resources.values,
      conditional: statement.condition !== undefined && Object.keys(statement.condition as object).length > 0,
    })),
  );
}

/** The IAM and network view of one resource's change, from the engine's per-template analysis. */
function securityOf(logicalId: string, difference: ResourceDifference) {
  const alone = new TemplateDiff({ resources: new DifferenceCollection({ [logicalId]: difference }) });
  const { statements, managedPolicies } = alone.iamChanges;
  const attachments = (list: typeof managedPolicies.additions): Grant[] =>
    list.map((attachment) => ({
      principal: attachment.identityArn,
      effect: 'allow',
      actions: [attachment.managedPolicyArn],
      resources: ['*'],
      conditional: false,
    }));
  return {
    grants: {
      added: [...grantsOf(statements.additions), ...attachments(managedPolicies.additions)],
      removed: [...grantsOf(statements.removals), ...attachments(managedPolicies.removals)],
      before: difference.oldValue ? cloudFormationGrants({ Resources: { [logicalId]: difference.oldValue } }) : [],
    },
    ingressAdded: alone.securityGroupChanges.ingress.additions.map(
      (rule) => `${rule.describeProtocol()} from ${rule.describePeer()}`,
    ),
  };
}

/** Property paths read better without the `Properties.` every one of them starts with. */
const withoutPropertiesPrefix = (path: string): string => path.replace(/^Properties\./, '');

function cloudFormationDelta(
  cloud: Cloud,
  stack: string,
  logicalId: string,
  difference: ResourceDifference,
): ResourceDelta {
  const before = difference.oldValue;
  const after = difference.newValue;
  const impact = difference.changeImpact;
  const action = difference.resourceTypeChanged ? 'replace' : ACTION_OF_IMPACT[impact];
  const replacedBecause = Object.entries(difference.propertyUpdates)
    .filter(([, property]) => property.changeImpact !== undefined && REPLACING.has(property.changeImpact))
    .map(([name]) => name);
  const values =
    before && after
      ? valueChanges(before, after).map((value) => ({ ...value, path: withoutPropertiesPrefix(value.path) }))
      : [];
  return {
    cloud,
    stack,
    resource: logicalId,
    type: (difference.newResourceType ?? difference.oldResourceType)!,
    action,
    ...(before ? { before } : {}),
    ...(after ? { after } : {}),
    values,
    ...(action === 'replace' && replacedBecause.length > 0 ? { replacedBecause } : {}),
    ...securityOf(logicalId, difference),
  };
}

/** Every resource of one stack that differs; a missing side is an empty template (all added or all removed). */
export function cloudFormationDeltas(
  cloud: Cloud,
  stack: string,
  base: CloudFormationTemplate | undefined,
  head: CloudFormationTemplate | undefined,
): ResourceDelta[] {
  const diff = fullDiff(base ?? {}, head ?? {});
  const deltas: ResourceDelta[] = [];
  diff.resources.forEachDifference((logicalId, difference) => {
    if (difference.isDifferent) deltas.push(cloudFormationDelta(cloud, stack, logicalId, difference));
  });
  return deltas;
}

/** Every grant a template makes (the engine's reading of all its policies), e.g. to know the base's principals. */
export function cloudFormationGrants(template: CloudFormationTemplate): Grant[] {
  return grantsOf(fullDiff({}, template).iamChanges.statements.additions);
}
