/**
 * CloudWatch Logs facts, runtime-safe: the topology schema checks retention periods against them, and the CDN
 * construct passes them on as aws-cdk-lib's `logs.RetentionDays` (a test proves both lists are the same).
 */

/** The retention periods CloudWatch Logs accepts, in days ("never expire" aside). */
export const CLOUDWATCH_RETENTION_DAYS: readonly number[] = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
];

export function isCloudWatchRetention(days: number): boolean {
  return CLOUDWATCH_RETENTION_DAYS.includes(days);
}
