/**
 * What `npm run diff` reports: resource changes of every donor's app, each with its danger flags, and the routing
 * impact. The JSON output is exactly DiffReport without the `values` of each change (those are for people).
 */

/** A donor's id (`aws`, `gcp`, `azure`, ...): whose app synthesized the stack. */
export type Cloud = string;
export type Action = 'add' | 'remove' | 'modify' | 'replace';

/** One changed value inside a resource; `before`/`after` are undefined where the value is absent. */
export interface ValueChange {
  readonly path: string;
  readonly before?: unknown;
  readonly after?: unknown;
}

/** One principal gaining (or losing) something on one resource; cloud-neutral so the danger rules read both. */
export interface Grant {
  /** `AWS:*`, `Service:s3.amazonaws.com`, `allUsers`, `serviceAccount:...`, ... */
  readonly principal: string;
  /** A deny takes away; removing one widens like adding an allow. */
  readonly effect: 'allow' | 'deny';
  /** IAM actions (AWS) or roles (GCP). */
  readonly actions: readonly string[];
  readonly resources: readonly string[];
  /** Whether a condition narrows the grant. */
  readonly conditional: boolean;
}

/** A resource that differs between base and head, with everything the danger rules look at. */
export interface ResourceDelta {
  readonly cloud: Cloud;
  readonly stack: string;
  /** CloudFormation logical ID or Terraform address. */
  readonly resource: string;
  readonly type: string;
  readonly action: Action;
  /** The resource as the base and the head declare it (undefined where it does not exist). */
  readonly before?: Record<string, unknown>;
  readonly after?: Record<string, unknown>;
  readonly values: readonly ValueChange[];
  /** Grants the head has and the base had not, the reverse, and all the base had. */
  readonly grants: {
    readonly added: readonly Grant[];
    readonly removed: readonly Grant[];
    readonly before: readonly Grant[];
  };
  /** Why the change replaces the resource, when it does (e.g. `BucketName`, `location`). */
  readonly replacedBecause?: readonly string[];
  /** Security-group rules the change opens (AWS), rendered. */
  readonly ingressAdded?: readonly string[];
}

export interface Change {
  readonly cloud: Cloud;
  readonly stack: string;
  readonly resource: string;
  readonly type: string;
  readonly action: Action;
  readonly paths: readonly string[];
  /** `<rule>: <detail>`; empty for an ordinary change. */
  readonly danger: readonly string[];
  readonly values: readonly ValueChange[];
}

/** A client whose blob requests a Cloud Run region now sends elsewhere; null where the region has no redirector. */
export interface RoutingChange {
  readonly region: string;
  /** `<cloud>:<region>` for a donor region, the cloud name for an upstream cloud, `other` for everyone else. */
  readonly client: string;
  readonly from: string | null;
  readonly to: string | null;
}

export interface DiffReport {
  readonly base: string;
  readonly changes: readonly Change[];
  readonly routing: readonly RoutingChange[];
}
