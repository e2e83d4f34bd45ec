/**
 * The AWS side of a topology as a CDK app: the stacks, their tags, their deploy order and the cdk-nag
 * AwsSolutions checks that run on every synth (a finding fails it; every acknowledgement is in nag.ts).
 */
import { Tags, Validations, type App } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { Topology } from '../../../topology';
import { DeliveryStack } from './delivery-stack';
import { cdnStackName, deliveryStackName, mirrorStackName } from './names';
import { CdnStack, MirrorStack } from './stacks';

export interface AwsStacks {
  /** Mirror region -> its stack, in topology order. */
  readonly mirrors: ReadonlyMap<string, MirrorStack>;
  /** The upload region's stack (also in `mirrors`). */
  readonly upload: MirrorStack;
  /** Undefined when topology.aws.cdn.enabled is false. */
  readonly cdn?: CdnStack;
  /** deploy.yml's identity. */
  readonly delivery: DeliveryStack;
}

export const MANAGED_BY = 'multicloud-registry';

export function addAwsStacks(app: App, topology: Topology): AwsStacks {
  const mirrors = new Map<string, MirrorStack>();
  for (const region of topology.aws.mirrorRegions) {
    const name = mirrorStackName(topology, region);
    mirrors.set(region, new MirrorStack(app, name, { stackName: name, topology, region }));
  }
  const upload = mirrors.get(topology.aws.uploadRegion)!;
  // Replication needs its destination buckets to exist: deploy them first (ordering only, no references).
  for (const stack of mirrors.values())
    if (stack !== upload) upload.addStackDependency(stack, 'replication destination');

  let cdn: CdnStack | undefined;
  if (topology.aws.cdn.enabled) {
    const name = cdnStackName(topology);
    cdn = new CdnStack(app, name, { stackName: name, topology });
    cdn.addStackDependency(mirrors.get(topology.aws.cdn.primaryRegion)!, 'CDN primary origin');
    cdn.addStackDependency(mirrors.get(topology.aws.cdn.failoverRegion)!, 'CDN failover origin');
  }

  const deliveryName = deliveryStackName(topology);
  const delivery = new DeliveryStack(app, deliveryName, { stackName: deliveryName, topology });

  for (const stack of [delivery, ...mirrors.values(), ...(cdn ? [cdn] : [])]) {
    Tags.of(stack).add('project', topology.name);
    Tags.of(stack).add('managed-by', MANAGED_BY);
  }
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return { mirrors, upload, cdn, delivery };
}
