/**
 * Randomized bad input, seeded (FUZZ_SEED=N replays another run; a failure names the seed and each request's
 * number). Malformed methods, paths, queries, X-Forwarded-For values and bytes must never produce a 5xx, and a
 * Location must always start with a configured backend and carry no dot or empty segment:
 * - 12,000 cases through the pure pipeline (parseRequest, the client resolver, decide, settle);
 * - 3,000 structured and raw-socket requests against the redirector as the image runs it (npm run build:redirector's
 *   output): the short version of `npm run fuzz:redirector` (bench/fuzz-redirector.ts, 100,000 requests), same
 *   generator and checks.
 */
import { ClientResolver } from '../../lib/redirector/client';
import { CLIENT_NOT_NEEDED, decide, settle } from '../../lib/redirector/decide';
import { needsClient, parseRequest } from '../../lib/redirector/route';
import type { RoutingTable } from '../../lib/topology';
import { fixtureIndex, smallTable } from './fixtures';
import { answerProblem, fuzzRedirector, verdict, type FuzzReport } from './fuzz/harness';
import { prng, RAW_FAMILY_NAMES, randomMethod, randomPath, randomXff } from './fuzz/inputs';

const SEED = process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : 20250724;

const table: RoutingTable = {
  ...smallTable('us-central1'),
  signatureUpstream: { endpoint: 'https://sigs.example.com', path: 'sigs/images' },
};

describe(`randomized bad input (seed ${SEED})`, () => {
  it('12,000 cases through parseRequest, the client resolver and decide: no 5xx, no escaping Location', () => {
    const r = prng(SEED);
    const resolver = new ClientResolver(fixtureIndex(), 1);
    const failures: string[] = [];
    for (let n = 0; n < 12_000; n++) {
      const method = randomMethod(r);
      const target = randomPath(r);
      const xff = randomXff(r);
      const route = parseRequest(method, target);
      const client = needsClient(route) ? resolver.resolve(xff, '10.0.0.1') : CLIENT_NOT_NEEDED;
      const decision = decide(route, client, table);
      for (const final of [settle(decision, true), settle(decision, false)]) {
        const problem = answerProblem(final.status, final.location, table);
        if (problem)
          failures.push(
            `${method} ${JSON.stringify(target)} xff=${JSON.stringify(xff)}: ${problem} (${final.location})`,
          );
      }
    }
    expect(failures.slice(0, 10)).toEqual([]);
  });

  describe('3,000 requests against the running redirector', () => {
    let report: FuzzReport;
    beforeAll(async () => {
      // 3,000 requests grow RSS by 5-12% (measured), much of it outside V8's heap or below the 4 MiB of heap growth
      // at which the service collects (lib/redirector/memory.ts), so this run allows 25% (a 10% limit failed once
      // in CI at 10.5%, 30 s after the run); the full run, 100,000 requests, holds the 10% once idle.
      report = await fuzzRedirector({ seed: SEED, requests: 3000, rssGrowthAllowed: 0.25 });
    });

    it('no 5xx, no escaping Location, no hang, no crash, RSS within 25% of its post-warm-up value', () => {
      expect(verdict(report)).toEqual([]);
      expect(report.requests).toBe(3000);
    });

    it('the sample really exercised redirects, refusals and every raw family', () => {
      expect(report.statuses['307']).toBeGreaterThan(300);
      expect(report.statuses['400']).toBeGreaterThan(300);
      expect(report.statuses['431']).toBeGreaterThan(10);
      expect(Object.keys(report.families).sort()).toEqual([...RAW_FAMILY_NAMES].sort());
    });
  });
});
