/** Which IP-range files to load, and the donor whose format each is in: `IP_RANGES` (or the tools' --ranges). */
import type { Env } from '../../config/env';
import { donorsModule } from '../on-demand';
import { ConfigError, type ConfigProblem } from './problems';

/**
 * IP_RANGES' name for an index file built by npm run build:redirector (`index=FILE`): it holds every donor's
 * ranges, so it stands alone.
 */
export const INDEX_SOURCE = 'index';

/** A range file to load and the donor (cloud id) whose format it is in, or INDEX_SOURCE for an index file. */
export interface RangeSource {
  readonly cloud: string;
  readonly file: string;
}

/** The donors' ids: only published files need the registry (an index file holds every donor's ranges already). */
function knownClouds(): string[] {
  return donorsModule().DONORS.map((d) => d.id);
}

/** Parses `aws=FILE,gcp=FILE` (or repeated `cloud=FILE` values); `variable` names the origin in errors. */
export function parseRangeSources(text: string, variable: string): RangeSource[] {
  const sources: RangeSource[] = [];
  const problems: ConfigProblem[] = [];
  for (const pair of text.split(',').map((p) => p.trim())) {
    const eq = pair.indexOf('=');
    const cloud = pair.slice(0, eq);
    const file = pair.slice(eq + 1);
    if (eq <= 0 || file === '') {
      problems.push({ variable, message: `${JSON.stringify(pair)} is not cloud=FILE (e.g. aws=ranges/aws.json)` });
    } else if (cloud !== INDEX_SOURCE && !knownClouds().includes(cloud)) {
      const known = knownClouds().join(', ');
      problems.push({ variable, message: `unknown cloud ${JSON.stringify(cloud)} (known: ${known})` });
    } else if (sources.some((s) => s.cloud === cloud)) {
      problems.push({ variable, message: `cloud ${JSON.stringify(cloud)} is given twice` });
    } else {
      sources.push({ cloud, file });
    }
  }
  if (sources.length > 1 && sources.some((s) => s.cloud === INDEX_SOURCE)) {
    problems.push({ variable, message: `${INDEX_SOURCE}=FILE stands alone: the index holds every donor's ranges` });
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return sources;
}

/** The server's range files: IP_RANGES is required. */
export function rangeSourcesFromEnv(env: Env): RangeSource[] {
  if (!env.IP_RANGES) {
    throw new ConfigError([
      {
        variable: 'IP_RANGES',
        message:
          'not set: give cloud=FILE pairs, e.g. aws=ranges/aws.json,gcp=ranges/gcp.json (npm run fetch-ip-ranges downloads them)',
      },
    ]);
  }
  return parseRangeSources(env.IP_RANGES, 'IP_RANGES');
}
