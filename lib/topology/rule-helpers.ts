/**
 * The building blocks of topology rules (validate.ts, and each donor's section rules under lib/clouds/<id>/): each
 * returns problems, never throws, so a user sees every mistake at once.
 */
import type { TopologyProblem } from './errors';

export const quote = (v: unknown): string => JSON.stringify(v);

/**
 * Every value listed again after its first place, named by both places; `shownPath` is how the message names the
 * list (a donor's rule speaks of paths inside its section, its messages of the whole topology).
 */
export function duplicates(path: string, values: readonly string[], shownPath: string = path): TopologyProblem[] {
  const firstIndex = new Map<string, number>();
  const problems: TopologyProblem[] = [];
  values.forEach((value, i) => {
    const first = firstIndex.get(value);
    if (first === undefined) firstIndex.set(value, i);
    else
      problems.push({
        path: `${path}[${i}]`,
        message: `duplicate ${quote(value)} (already at ${shownPath}[${first}])`,
      });
  });
  return problems;
}

/** Every region a cloud's catalogue does not know. */
export function unknownRegions(
  path: (i: number, region: string) => string,
  regions: readonly string[],
  known: ReadonlySet<string>,
  cloud: string,
): TopologyProblem[] {
  return regions.flatMap((region, i) =>
    known.has(region) ? [] : [{ path: path(i, region), message: `unknown ${cloud} region ${quote(region)}` }],
  );
}

/** The problems with their paths put under `prefix` (a donor's rules speak of paths inside its own section). */
export function under(prefix: string, problems: readonly TopologyProblem[]): TopologyProblem[] {
  return problems.map(({ path, message }) => ({ path: path ? `${prefix}.${path}` : prefix, message }));
}

/** Google's OIDC issuer: its tokens' subject is a service account's unique ID, which only a deploy produces. */
export const GOOGLE_OIDC_ISSUER = 'https://accounts.google.com';

/**
 * An identity federated from an OIDC issuer (a writer role, a managed identity's federated credential) needs the
 * subject it trusts: only a Google service account's comes from the deploy, any other issuer's must be written.
 */
export function subjectIsKnown(path: string, identity: { oidcIssuer: string; subject?: string }): TopologyProblem[] {
  return identity.subject !== undefined || identity.oidcIssuer === GOOGLE_OIDC_ISSUER
    ? []
    : [
        {
          path,
          message: `is required for the issuer ${quote(identity.oidcIssuer)} (only Google's subject, the replicator service account's ID, comes from the deploy)`,
        },
      ];
}
