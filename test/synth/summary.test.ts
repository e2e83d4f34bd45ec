import { countCloudFormationResources, countTerraformResources, formatSummary } from '../../lib/synth/summary';

describe('synth summary', () => {
  it('counts CloudFormation resources by type', () => {
    expect(
      countCloudFormationResources({
        Resources: { A: { Type: 'AWS::S3::Bucket' }, B: { Type: 'AWS::S3::Bucket' }, C: { Type: 'AWS::IAM::Role' } },
      }),
    ).toEqual({ 'AWS::S3::Bucket': 2, 'AWS::IAM::Role': 1 });
    expect(countCloudFormationResources({})).toEqual({});
  });

  it('counts Terraform resources by type', () => {
    expect(
      countTerraformResources({ resource: { google_project: { a: {}, b: {} }, google_storage_bucket: { c: {} } } }),
    ).toEqual({ google_project: 2, google_storage_bucket: 1 });
    expect(countTerraformResources({})).toEqual({});
  });

  it('sums over stacks and lists types by count, then name', () => {
    const text = formatSummary([
      {
        cloud: 'AWS',
        outdir: 'cdk.out',
        stacks: [
          { name: 'a', resourcesByType: { 'AWS::S3::Bucket': 2, 'AWS::IAM::Role': 1 } },
          { name: 'b', resourcesByType: { 'AWS::S3::Bucket': 1, 'AWS::IAM::Policy': 1 } },
        ],
      },
    ]);
    expect(text.split('\n')).toEqual([
      'AWS: 2 stacks, 5 resources -> cdk.out/',
      '  AWS::S3::Bucket       3',
      '  AWS::IAM::Policy      1',
      '  AWS::IAM::Role        1',
    ]);
  });
});
