/** AWS region names: their shape, and the catalogue of those that exist. */

/** The shape of an AWS region name: `us-east-2`, `us-gov-west-1`, `eusc-de-east-1`. */
export const AWS_REGION_NAME = /^[a-z]{2,4}(-[a-z]+)+-\d+$/;

/** Is this shaped like an AWS region name (whether or not it exists: see KNOWN_AWS_REGIONS)? */
export function isAwsRegionName(name: string): boolean {
  return AWS_REGION_NAME.test(name);
}

/**
 * Every AWS region name that exists (commercial, China, GovCloud, European Sovereign Cloud), as published in
 * AWS ip-ranges.json. This is a catalogue for validating topologies, not a deployment list: which regions we
 * deploy to is written only in the topology.
 */
export const KNOWN_AWS_REGIONS: ReadonlySet<string> = new Set([
  'af-south-1',
  'ap-east-1',
  'ap-east-2',
  'ap-northeast-1',
  'ap-northeast-2',
  'ap-northeast-3',
  'ap-south-1',
  'ap-south-2',
  'ap-southeast-1',
  'ap-southeast-2',
  'ap-southeast-3',
  'ap-southeast-4',
  'ap-southeast-5',
  'ap-southeast-6',
  'ap-southeast-7',
  'ca-central-1',
  'ca-west-1',
  'cn-north-1',
  'cn-northwest-1',
  'eu-central-1',
  'eu-central-2',
  'eu-north-1',
  'eu-south-1',
  'eu-south-2',
  'eu-west-1',
  'eu-west-2',
  'eu-west-3',
  'eusc-de-east-1',
  'il-central-1',
  'me-central-1',
  'me-south-1',
  'me-west-1',
  'mx-central-1',
  'sa-east-1',
  'sa-west-1',
  'us-east-1',
  'us-east-2',
  'us-gov-east-1',
  'us-gov-west-1',
  'us-south-1',
  'us-west-1',
  'us-west-2',
]);
