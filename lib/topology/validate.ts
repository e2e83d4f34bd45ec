/**
 * Rules that span fields: every region exists, nothing is listed twice, every reference points at something
 * that is deployed. Each rule is a small function returning problems; validateTopology runs them all so a user
 * sees every mistake in one go.
 */
import { KNOWN_AWS_REGIONS } from '../clouds/aws/regions';
import { KNOWN_GCP_REGIONS } from '../clouds/gcp/regions';
import type { TopologyProblem } from './errors';
import { CDN_BACKEND, GOOGLE_OIDC_ISSUER, isDigestPinned, type Topology } from './schema';
import { replicationRegistryHosts } from './views';

type Rule = (t: Topology) => TopologyProblem[];

const quote = (v: unknown): string => JSON.stringify(v);

function duplicates(path: string, values: readonly string[]): TopologyProblem[] {
  const firstIndex = new Map<string, number>();
  const problems: TopologyProblem[] = [];
  values.forEach((value, i) => {
    const first = firstIndex.get(value);
    if (first === undefined) firstIndex.set(value, i);
    else problems.push({ path: `${path}[${i}]`, message: `duplicate ${quote(value)} (already at ${path}[${first}])` });
  });
  return problems;
}

function unknownRegions(
  path: (i: number, region: string) => string,
  regions: readonly string[],
  known: ReadonlySet<string>,
  cloud: string,
): TopologyProblem[] {
  return regions.flatMap((region, i) =>
    known.has(region) ? [] : [{ path: path(i, region), message: `unknown ${cloud} region ${quote(region)}` }],
  );
}

const awsRegionsExist: Rule = (t) => [
  ...unknownRegions((i) => `aws.mirrorRegions[${i}]`, t.aws.mirrorRegions, KNOWN_AWS_REGIONS, 'AWS'),
  ...unknownRegions((_, r) => `aws.regionAliases.${r}`, Object.keys(t.aws.regionAliases), KNOWN_AWS_REGIONS, 'AWS'),
];

const awsRegionsListedOnce: Rule = (t) => duplicates('aws.mirrorRegions', t.aws.mirrorRegions);

const uploadRegionHasBucket: Rule = (t) =>
  t.aws.mirrorRegions.includes(t.aws.uploadRegion)
    ? []
    : [{ path: 'aws.uploadRegion', message: `${quote(t.aws.uploadRegion)} is not one of aws.mirrorRegions` }];

const aliasesPointAtBuckets: Rule = (t) =>
  Object.entries(t.aws.regionAliases).flatMap(([alias, target]) => {
    const path = `aws.regionAliases.${alias}`;
    if (t.aws.mirrorRegions.includes(alias))
      return [{ path, message: `${quote(alias)} has its own bucket (in aws.mirrorRegions) and cannot be an alias` }];
    if (!t.aws.mirrorRegions.includes(target))
      return [{ path, message: `alias target ${quote(target)} has no bucket (not in aws.mirrorRegions)` }];
    return [];
  });

/** S3 bucket names: 3-63 characters of lowercase letters, digits, dots and hyphens. */
const bucketNamesAreValid: Rule = (t) =>
  t.aws.mirrorRegions.flatMap((region, i) => {
    const name = `${t.aws.bucketPrefix}${region}`;
    return name.length > 63
      ? [{ path: `aws.mirrorRegions[${i}]`, message: `bucket name ${quote(name)} is longer than 63 characters` }]
      : [];
  });

const cdnOriginsHaveBuckets: Rule = (t) => {
  const { cdn } = t.aws;
  if (!cdn.enabled) return [];
  const problems: TopologyProblem[] = [];
  for (const key of ['primaryRegion', 'failoverRegion'] as const) {
    if (!t.aws.mirrorRegions.includes(cdn[key]))
      problems.push({ path: `aws.cdn.${key}`, message: `${quote(cdn[key])} is not one of aws.mirrorRegions` });
  }
  if (cdn.primaryRegion === cdn.failoverRegion)
    problems.push({ path: 'aws.cdn.failoverRegion', message: 'must differ from aws.cdn.primaryRegion' });
  if (cdn.certificateArn && !cdn.domainName)
    problems.push({ path: 'aws.cdn.certificateArn', message: 'is set but aws.cdn.domainName is not' });
  return problems;
};

const gcpRegionsExist: Rule = (t) => [
  ...unknownRegions((i) => `gcp.artifactRegions[${i}]`, t.gcp.artifactRegions, KNOWN_GCP_REGIONS, 'Google Cloud'),
  ...unknownRegions(
    (_, r) => `gcp.redirector.regions.${r}`,
    Object.keys(t.gcp.redirector.regions),
    KNOWN_GCP_REGIONS,
    'Google Cloud',
  ),
];

const gcpRegionsListedOnce: Rule = (t) => duplicates('gcp.artifactRegions', t.gcp.artifactRegions);

const canonicalRegionHasRepository: Rule = (t) =>
  t.gcp.artifactRegions.includes(t.gcp.canonicalRegion)
    ? []
    : [{ path: 'gcp.canonicalRegion', message: `${quote(t.gcp.canonicalRegion)} is not one of gcp.artifactRegions` }];

const redirectorRegionsAreServable: Rule = (t) => {
  const regions = Object.entries(t.gcp.redirector.regions);
  if (regions.length === 0) return [{ path: 'gcp.redirector.regions', message: 'needs at least one region' }];
  return regions.flatMap(([region, { defaultBlobBackend }]) => {
    const path = `gcp.redirector.regions.${region}`;
    const problems: TopologyProblem[] = [];
    if (!t.gcp.artifactRegions.includes(region))
      problems.push({
        path,
        message: `Cloud Run region ${quote(region)} has no Artifact Registry repository (not in gcp.artifactRegions)`,
      });
    problems.push(...defaultBackendProblems(t, `${path}.defaultBlobBackend`, defaultBlobBackend));
    return problems;
  });
};

function defaultBackendProblems(t: Topology, path: string, backend: string): TopologyProblem[] {
  if (backend === CDN_BACKEND) {
    // No address is needed: a deploy produces the CDN's, and until then its primary bucket serves (views.ts).
    return t.aws.cdn.enabled ? [] : [{ path, message: `is "${CDN_BACKEND}" but aws.cdn.enabled is false` }];
  }
  if (t.aws.mirrorRegions.includes(backend) || backend in t.aws.regionAliases) return [];
  return [
    {
      path,
      message: `default backend ${quote(backend)} does not exist (expected "${CDN_BACKEND}" or a region of aws.mirrorRegions or aws.regionAliases)`,
    },
  ];
}

/** Only a Google service account's subject is produced by a deploy; any other issuer's must be written. */
const writerSubjectIsKnown: Rule = (t) =>
  t.aws.writer.subject !== undefined || t.aws.writer.oidcIssuer === GOOGLE_OIDC_ISSUER
    ? []
    : [
        {
          path: 'aws.writer.subject',
          message: `is required for the issuer ${quote(t.aws.writer.oidcIssuer)} (only Google's subject, the replicator service account's ID, comes from the deploy)`,
        },
      ];

/**
 * Cloud Run runs what a tag names when it deploys, and a tag can be moved afterwards: only a digest says exactly
 * which (reviewed, signed) image runs. A development deploy may opt out.
 */
const imagesArePinned: Rule = (t) =>
  t.images.allowMutableTags
    ? []
    : (['redirector', 'replicator'] as const).flatMap((service) => {
        const reference = t.images[service];
        return isDigestPinned(reference)
          ? []
          : [
              {
                path: `images.${service}`,
                message:
                  `${quote(reference)} is a mutable tag: the services run images by digest ` +
                  '(name@sha256:<64 hex>, as .github/workflows/images.yml prints them); ' +
                  'a development deploy may set images.allowMutableTags: true',
              },
            ];
      });

/** A budget for a host no job speaks to would silently budget nothing. */
const budgetsNameReplicationHosts: Rule = (t) => {
  const hosts = replicationRegistryHosts(t);
  return Object.keys(t.replication.requestsPerSecondByHost)
    .filter((host) => !hosts.includes(host))
    .map((host) => ({
      path: `replication.requestsPerSecondByHost.${host}`,
      message: `${quote(host)} is the registry of none of gcp.artifactRegions: no replication job speaks to it`,
    }));
};

const RULES: readonly Rule[] = [
  imagesArePinned,
  awsRegionsExist,
  awsRegionsListedOnce,
  uploadRegionHasBucket,
  aliasesPointAtBuckets,
  bucketNamesAreValid,
  cdnOriginsHaveBuckets,
  writerSubjectIsKnown,
  gcpRegionsExist,
  gcpRegionsListedOnce,
  canonicalRegionHasRepository,
  redirectorRegionsAreServable,
  budgetsNameReplicationHosts,
];

/** Every cross-field problem of a schema-valid topology; empty when it can be deployed. */
export function validateTopology(topology: Topology): TopologyProblem[] {
  return RULES.flatMap((rule) => rule(topology));
}
