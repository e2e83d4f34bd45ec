/** S3 addressing, shared by the topology's views (mirror URLs) and the AWS stacks. */

/** Public base URL of a bucket from the topology's endpoint template. */
export function bucketBaseUrl(endpointTemplate: string, bucket: string, region: string): string {
  return endpointTemplate.replaceAll('{bucket}', bucket).replaceAll('{region}', region);
}
