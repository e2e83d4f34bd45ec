/**
 * Issue 14's acceptance of the gradual rollout: at shares of 1%, 10% and 50%, the share measured over 100,000 random
 * Azure client addresses (seeded, drawn from inside the real file's prefixes, IPv4 and IPv6) is within 0.3
 * percentage points, through the server's own resolver and decide. Apart from share.test.ts so that mutation
 * testing, which reruns that file for every mutant, does not rebuild the real index each time.
 */
import { ClientResolver } from '../../lib/redirector/client';
import { decide } from '../../lib/redirector/decide';
import { readCloudRanges } from '../../lib/redirector/load-ranges';
import { RangeIndex } from '../../lib/redirector/range-index';
import { parseRequest } from '../../lib/redirector/route';
import { partialShareClouds } from '../../lib/redirector/share';
import type { RoutingTable } from '../../lib/topology';
import { addressesIn, HAVE_REAL_RANGES, REAL_RANGE_SOURCES } from '../support/real-ranges';
import { DIGEST, smallTable } from './fixtures';

const describeReal = HAVE_REAL_RANGES ? describe : describe.skip;
describeReal('the share over 100,000 real Azure client addresses', () => {
  const SAMPLES = 100_000;
  const TOLERANCE = 0.3;
  const azure = readCloudRanges(REAL_RANGE_SOURCES.find((s) => s.cloud === 'azure')!);
  const index = new RangeIndex([azure]);
  const addresses = addressesIn(azure.ranges, SAMPLES, 14);
  // Every region of the file has a mirror, as in a full Azure rollout, and the share is Azure's.
  const mirrors = Object.fromEntries(
    index.locations.map((l) => [l.region, `https://reg${l.region.toLowerCase()}.blob.core.windows.net/images`]),
  );
  const table = (percent: number): RoutingTable => ({
    ...smallTable('us-central1'),
    mirrors: { azure: mirrors },
    mirrorShares: { azure: percent },
  });

  it.each([1, 10, 50])('at %d%%: the measured share is within 0.3 points', (percent) => {
    const routing = table(percent);
    const resolver = new ClientResolver(index, 0, partialShareClouds(routing));
    const route = parseRequest('GET', `/v2/pause/blobs/${DIGEST}`);
    const decisions = addresses.map((sample) => decide(route, resolver.resolve(undefined, sample.text), routing));
    // Every address is an Azure client under the share: to the mirror in it, to the default outside it.
    expect(decisions.filter((d) => d.inShare === undefined || d.label !== (d.inShare ? 'mirror' : 'default'))).toEqual(
      [],
    );
    const measured = (100 * decisions.filter((d) => d.inShare).length) / SAMPLES;
    const ipv6 = addresses.filter((sample) => sample.family === 6).length;
    console.log(
      `share ${percent}%: measured ${measured.toFixed(3)}% over ${SAMPLES} Azure addresses ` +
        `(${SAMPLES - ipv6} IPv4, ${ipv6} IPv6)`,
    );
    expect(Math.abs(measured - percent)).toBeLessThanOrEqual(TOLERANCE);
  });
});
