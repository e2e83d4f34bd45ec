/**
 * A Cloud Run job started on a schedule: Cloud Scheduler calls the Cloud Run Admin API (`jobs.run`) with an OAuth
 * token of a scheduler service account that may run this job and nothing else. An execution runs `tasks` copies of
 * the container at once; Cloud Run tells each its place (`CLOUD_RUN_TASK_INDEX`, `CLOUD_RUN_TASK_COUNT`).
 */
import { CloudRunV2Job } from '@cdktf/provider-google/lib/cloud-run-v2-job';
import { CloudRunV2JobIamMember } from '@cdktf/provider-google/lib/cloud-run-v2-job-iam-member';
import { CloudSchedulerJob } from '@cdktf/provider-google/lib/cloud-scheduler-job';
import { Construct } from 'constructs';
import { ROLES, serviceAccountMember } from './iam';

const CLOUD_PLATFORM_SCOPE = 'https://www.googleapis.com/auth/cloud-platform';

/** The Cloud Run Admin API v2 URL that starts an execution of a job. */
export function runJobUrl(project: string, region: string, jobName: string): string {
  return `https://run.googleapis.com/v2/projects/${project}/locations/${region}/jobs/${jobName}:run`;
}

export interface ScheduledJobProps {
  readonly project: string;
  readonly region: string;
  readonly name: string;
  readonly image: string;
  readonly args: readonly string[];
  /** @default none */
  readonly env?: Readonly<Record<string, string>>;
  /** Tasks of an execution, all started at once (task count and parallelism). @default 1 */
  readonly tasks?: number;
  /** The identity the job runs as. */
  readonly serviceAccountEmail: string;
  /** The identity Cloud Scheduler calls the Admin API as; it gets run.invoker on this job only. */
  readonly schedulerServiceAccountEmail: string;
  /** Cron expression (minute hour day month weekday). */
  readonly schedule: string;
  /** Time zone of the schedule: from the topology (`replication.timeZone`). */
  readonly timeZone: string;
  /**
   * Longest run. The jobs resume where they stopped, so a run cut short loses nothing but time.
   * @default 3600
   */
  readonly timeoutSeconds?: number;
  /** Retries of a failed run before the next schedule. @default 1 */
  readonly maxRetries?: number;
  /** @default '1' */
  readonly cpu?: string;
  /** @default '1Gi' */
  readonly memory?: string;
}

export class ScheduledJob extends Construct {
  readonly job: CloudRunV2Job;
  readonly trigger: CloudSchedulerJob;

  constructor(scope: Construct, id: string, props: ScheduledJobProps) {
    super(scope, id);
    const { project, region } = props;
    this.job = new CloudRunV2Job(this, 'job', {
      project,
      location: region,
      name: props.name,
      template: {
        taskCount: props.tasks ?? 1,
        parallelism: props.tasks ?? 1,
        template: {
          serviceAccount: props.serviceAccountEmail,
          timeout: `${props.timeoutSeconds ?? 3600}s`,
          maxRetries: props.maxRetries ?? 1,
          containers: [
            {
              image: props.image,
              args: [...props.args],
              env: Object.entries(props.env ?? {}).map(([name, value]) => ({ name, value })),
              resources: { limits: { cpu: props.cpu ?? '1', memory: props.memory ?? '1Gi' } },
            },
          ],
        },
      },
    });
    const mayRun = new CloudRunV2JobIamMember(this, 'scheduler-invoker', {
      project,
      location: region,
      name: this.job.name,
      role: ROLES.runInvoker,
      member: serviceAccountMember(props.schedulerServiceAccountEmail),
    });
    this.trigger = new CloudSchedulerJob(this, 'schedule', {
      project,
      region,
      name: props.name,
      schedule: props.schedule,
      timeZone: props.timeZone,
      httpTarget: {
        httpMethod: 'POST',
        uri: runJobUrl(project, region, props.name),
        oauthToken: { serviceAccountEmail: props.schedulerServiceAccountEmail, scope: CLOUD_PLATFORM_SCOPE },
      },
      dependsOn: [mayRun],
    });
  }
}
