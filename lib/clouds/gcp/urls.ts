/** Artifact Registry addressing, shared by the GCP stacks, the redirector's routing table and the replicator. */

/** The Docker host of Artifact Registry in a region, e.g. `us-central1-docker.pkg.dev`. */
export function artifactRegistryHost(region: string): string {
  return `${region}-docker.pkg.dev`;
}

/** The repository path under the host: `<project>/<repository>`. */
export function artifactRegistryPath(project: string, repository: string): string {
  return `${project}/${repository}`;
}
