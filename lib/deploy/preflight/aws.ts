/**
 * What would stop the AWS side on its first deploy, asked of AWS before anything is deployed:
 * - the credentials are for the topology's account;
 * - every region the stacks deploy to is enabled (about fifteen mirror regions are opt-in regions, disabled in a
 *   new account, and `cdk bootstrap` fails there);
 * - the account's S3 Block Public Access (the account's own setting, or the one an AWS Organizations S3 policy
 *   imposes, which GetPublicAccessBlock reports as in effect) lets the mirrors' public-read bucket policies in.
 */
import { AccountClient, paginateListRegions } from '@aws-sdk/client-account';
import { GetPublicAccessBlockCommand, S3ControlClient } from '@aws-sdk/client-s3-control';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { awsRegions } from '../../clouds/aws/infra/names';
import type { Topology } from '../../topology';
import { callFailed, ok, problem, type Finding } from './findings';

export interface AwsClients {
  readonly sts: STSClient;
  readonly account: AccountClient;
  readonly s3control: S3ControlClient;
}

/** Clients for the deployer's default credentials; the Account and S3 Control APIs answer in us-east-1. */
export function defaultAwsClients(): AwsClients {
  return {
    sts: new STSClient({}),
    account: new AccountClient({ region: 'us-east-1' }),
    s3control: new S3ControlClient({ region: 'us-east-1' }),
  };
}

async function identity(topology: Topology, sts: STSClient): Promise<Finding> {
  const check = 'aws credentials';
  const expected = topology.aws.accountId;
  try {
    const { Account, Arn } = await sts.send(new GetCallerIdentityCommand({}));
    if (Account === expected) return ok(check, `${Arn} in account ${expected}`);
    return problem(
      check,
      `${Arn} is in account ${Account}, the topology deploys to ${expected}`,
      `use credentials of account ${expected} (e.g. AWS_PROFILE=<its profile>, aws sso login), or fix aws.accountId`,
    );
  } catch (err) {
    return callFailed(check, err, 'log in to AWS (aws sso login, or AWS_PROFILE / AWS_ACCESS_KEY_ID for the deployer)');
  }
}

/** The opt-in status of every region the account knows. */
async function regionStatuses(account: AccountClient): Promise<Map<string, string>> {
  const statuses = new Map<string, string>();
  for await (const page of paginateListRegions({ client: account }, {})) {
    for (const region of page.Regions ?? []) {
      if (region.RegionName) statuses.set(region.RegionName, region.RegionOptStatus ?? 'unknown');
    }
  }
  return statuses;
}

const ENABLED = new Set(['ENABLED', 'ENABLED_BY_DEFAULT']);

/** One problem per region that is not enabled, or one line saying they all are. */
export function regionFindings(topology: Topology, statuses: ReadonlyMap<string, string>): Finding[] {
  const regions = awsRegions(topology);
  const problems = regions.flatMap((region) => {
    const status = statuses.get(region);
    const check = `aws region ${region}`;
    if (status !== undefined && ENABLED.has(status)) return [];
    if (status === 'ENABLING')
      return [
        problem(
          check,
          'is being enabled',
          `wait until \`aws account get-region-opt-status --region-name ${region}\` says ENABLED`,
        ),
      ];
    return [
      problem(
        check,
        status === undefined ? 'is not listed by the account' : `is ${status}: an opt-in region that is not enabled`,
        `aws account enable-region --region-name ${region}, then wait until \`aws account get-region-opt-status --region-name ${region}\` says ENABLED (minutes to hours)`,
      ),
    ];
  });
  return problems.length > 0 ? problems : [ok('aws regions', `all ${regions.length} regions are enabled`)];
}

async function regions(topology: Topology, account: AccountClient): Promise<Finding[]> {
  try {
    return regionFindings(topology, await regionStatuses(account));
  } catch (err) {
    return [callFailed('aws regions', err, 'allow the deployer account:ListRegions')];
  }
}

/** The Block Public Access settings that would keep the mirrors private. */
const BLOCKING = ['BlockPublicPolicy', 'RestrictPublicBuckets'] as const;

async function publicAccessBlock(topology: Topology, s3control: S3ControlClient): Promise<Finding> {
  const check = 'aws s3 block public access (account)';
  const accountId = topology.aws.accountId;
  try {
    const { PublicAccessBlockConfiguration: config = {} } = await s3control.send(
      new GetPublicAccessBlockCommand({ AccountId: accountId }),
    );
    const blocking = BLOCKING.filter((setting) => config[setting] === true);
    if (blocking.length === 0) return ok(check, 'public bucket policies are allowed');
    return problem(
      check,
      `${blocking.map((s) => `${s}=true`).join(', ')}: the mirrors' public-read bucket policies would be ` +
        `${config.BlockPublicPolicy ? 'rejected' : 'ignored'}`,
      `aws s3control put-public-access-block --account-id ${accountId} --public-access-block-configuration ` +
        'BlockPublicAcls=true,IgnorePublicAcls=true,BlockPublicPolicy=false,RestrictPublicBuckets=false ' +
        '(ACLs stay blocked); if an AWS Organizations S3 policy sets it, exempt this account there',
    );
  } catch (err) {
    if ((err as { name?: unknown }).name === 'NoSuchPublicAccessBlockConfiguration')
      return ok(check, 'none set: public bucket policies are allowed');
    return callFailed(check, err, 'allow the deployer s3:GetAccountPublicAccessBlock');
  }
}

export async function awsPreflight(topology: Topology, clients: AwsClients): Promise<Finding[]> {
  const [who, regionChecks, access] = await Promise.all([
    identity(topology, clients.sts),
    regions(topology, clients.account),
    publicAccessBlock(topology, clients.s3control),
  ]);
  return [who, ...regionChecks, access];
}
