/**
 * Rules that span fields: every region exists, nothing is listed twice, every reference points at something
 * that is deployed. Each rule is a small function returning problems; validateTopology runs them all so a user
 * sees every mistake in one go.
 */
import { sectionOf, type Donor } from '../clouds/donor';
import { DONORS } from '../clouds/donors';
import type { TopologyProblem } from './errors';
import { quote, under } from './rule-helpers';
import { CDN_BACKEND, isDigestPinned, type Topology } from './schema';
import { replicationRegistryHosts } from './views';

type Rule = (t: Topology) => TopologyProblem[];

/** Each donor's own rules over its section, when the topology has one; paths put under the donor's id. */
function donorSectionProblems(topology: Topology, donors: readonly Donor[]): TopologyProblem[] {
  return donors.flatMap((donor) => {
    const section = sectionOf(topology, donor);
    return donor.topology && section ? under(donor.id, donor.topology.validate(section)) : [];
  });
}

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

/** The default backends are AWS's: its CDN, or one of its mirror buckets. */
function defaultBackendProblems(t: Topology, path: string, backend: string): TopologyProblem[] {
  if (!t.aws.enabled) return [{ path, message: `names an AWS backend (${quote(backend)}) but aws.enabled is false` }];
  if (backend === CDN_BACKEND) {
    // No address is needed: a deploy produces the CDN's, and until then its primary bucket serves (views.ts).
    return t.aws.cdn.enabled ? [] : [{ path, message: `is "${CDN_BACKEND}" but aws.cdn.enabled is false` }];
  }
  // hasOwn, not `in`: a backend named like an inherited property ("toString") is no alias.
  if (t.aws.mirrorRegions.includes(backend) || Object.hasOwn(t.aws.regionAliases, backend)) return [];
  return [
    {
      path,
      message: `default backend ${quote(backend)} does not exist (expected "${CDN_BACKEND}" or a region of aws.mirrorRegions or aws.regionAliases)`,
    },
  ];
}

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

/** Rules that span donors or belong to none. */
const RULES: readonly Rule[] = [redirectorRegionsAreServable, budgetsNameReplicationHosts];

/** Every cross-field problem of a schema-valid topology; empty when it can be deployed. */
export function validateTopology(topology: Topology, donors: readonly Donor[] = DONORS): TopologyProblem[] {
  return [
    ...imagesArePinned(topology),
    ...donorSectionProblems(topology, donors),
    ...RULES.flatMap((rule) => rule(topology)),
  ];
}
