/** Where a repository tree lives: `<host>[:port]/<repo-path>`, and whether that host is spoken to in plain HTTP. */
import { isRepositoryName } from './grammar';

export interface RegistryLocation {
  /** `host` or `host:port`, as in image references. */
  readonly host: string;
  /** The repository path under the host, e.g. `k8s-artifacts-prod/images`. */
  readonly path: string;
}

/** Parses `host/path`; throws an Error naming the problem. */
export function parseRegistryLocation(text: string): RegistryLocation {
  const slash = text.indexOf('/');
  if (slash <= 0) throw new Error(`${JSON.stringify(text)} is not <host>/<repository path>`);
  const host = text.slice(0, slash);
  const path = text.slice(slash + 1).replace(/\/+$/, '');
  if (!isHost(host)) throw new Error(`${JSON.stringify(host)} is not a registry host (host or host:port)`);
  if (!isRepositoryName(path)) throw new Error(`${JSON.stringify(path)} is not a valid repository path`);
  return { host, path };
}

/** `host` or `host:port` with a DNS name, IPv4 address or bracketed IPv6 address. */
export function isHost(text: string): boolean {
  const match = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?)(?::(\d{1,5}))?$/.exec(text);
  if (!match) return false;
  return match[2] === undefined || (Number(match[2]) > 0 && Number(match[2]) < 65536);
}

/** The full name of the repository `relative` to `location`'s path: the two joined with a slash. */
export function fullRepositoryName(location: RegistryLocation, relative: string): string {
  return relative === '' ? location.path : `${location.path}/${relative}`;
}

/** The registry's origin: `https://host[:port]`, or `http://` for a registry the operator named insecure. */
export function registryOrigin(host: string, insecure: boolean): URL {
  return new URL(`${insecure ? 'http' : 'https'}://${host}`);
}
