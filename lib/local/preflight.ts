/** What must be installed before anything starts: the Debian packages providing the local stand-ins. */
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

export interface Requirement {
  /** The executable looked up on PATH. */
  readonly command: string;
  /** The Debian package that provides it. */
  readonly debianPackage: string;
}

/** What npm run local starts. */
export const LOCAL_REQUIREMENTS: readonly Requirement[] = [
  { command: 'docker-registry', debianPackage: 'docker-registry' },
];

export class MissingPackagesError extends Error {
  constructor(
    readonly packages: readonly string[],
    what: string,
  ) {
    super(
      `${what} needs the Debian package${packages.length === 1 ? '' : 's'} ${packages.join(', ')}: ` +
        `apt-get install -y ${packages.join(' ')}`,
    );
    this.name = 'MissingPackagesError';
  }
}

/** The executable's path on `path` (a PATH value), or undefined. */
export function findOnPath(command: string, path: string | undefined): string | undefined {
  for (const dir of (path ?? '').split(delimiter).filter(Boolean)) {
    const candidate = join(dir, command);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** The packages to install for the requirements that PATH does not satisfy (each named once). */
export function missingPackages(requirements: readonly Requirement[], path: string | undefined): string[] {
  return [...new Set(requirements.filter((r) => !findOnPath(r.command, path)).map((r) => r.debianPackage))];
}

/** Throws MissingPackagesError naming the `apt-get install` line when something is missing. */
export function assertInstalled(requirements: readonly Requirement[], what: string, path = process.env.PATH): void {
  const missing = missingPackages(requirements, path);
  if (missing.length > 0) throw new MissingPackagesError(missing, what);
}
