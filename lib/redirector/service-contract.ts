/**
 * What the redirector's container promises whatever runs it: the port it listens on unless told otherwise, its
 * probe paths, the variable that carries its routing table and the one that names the project of its traces. The route code and the configuration read these;
 * so does the Cloud Run construct (lib/clouds/gcp/infra/redirector-service.ts). docker/redirector.Dockerfile
 * cannot import them: a test holds its PORT and EXPOSE to CONTAINER_PORT.
 */

/** The public port: the default of PORT, the image's EXPOSE, Cloud Run's container port. */
export const CONTAINER_PORT = 8080;
/** Readiness (the startup probe): 200 once the ranges are loaded and the server listens, 503 while draining. */
export const READINESS_PATH = '/-/ready';
/** Liveness: 200 while the process serves. */
export const LIVENESS_PATH = '/-/healthy';
/** The environment variable carrying the routing table as JSON (parsed with RoutingTableSchema). */
export const ROUTING_TABLE_ENV = 'ROUTING_TABLE';
/** The environment variable naming the Google Cloud project whose load balancer traces the requests (log lines' trace). */
export const PROJECT_ENV = 'GOOGLE_CLOUD_PROJECT';
