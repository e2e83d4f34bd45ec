/**
 * The lookup part of bench/redirector.ts, which bundles this file and runs it in a child (`node <bundle> INDEX_FILE`
 * prints the JSON of a LookupCost): the range index's lookup as the image runs it, on real addresses.
 */
import { readCloudRanges, readRangeIndexFile } from '../lib/redirector/load-ranges';
import { addressesIn, REAL_RANGE_SOURCES } from '../test/support/real-ranges';

export interface LookupCost {
  readonly v4ns: number;
  readonly v6ns: number;
  /**
   * The floor of any lookup on this machine at this moment: reading every character of the same addresses (summing
   * their codes). Lookups relative to it say what the shared machine's load does not.
   */
  readonly v4ScanNs: number;
  readonly v6ScanNs: number;
  /** Three IPv4 addresses to one IPv6. */
  readonly mixedNs: number;
  readonly intervals: number;
  /** Reading the index file. */
  readonly loadMs: number;
}

/** CPU nanoseconds per lookup, best of nine rounds, on addresses drawn from inside the real files' prefixes. */
function measureLookups(indexFile: string): LookupCost {
  const started = performance.now();
  const index = readRangeIndexFile(indexFile);
  const loadMs = performance.now() - started;
  const ranges = REAL_RANGE_SOURCES.map(readCloudRanges).flatMap((cloud) => cloud.ranges);
  const addresses = (family: 4 | 6, seed: number) =>
    addressesIn(
      ranges.filter((range) => range.family === family),
      8192,
      seed,
    ).map((sample) => sample.text);
  const v4 = addresses(4, 1);
  const v6 = addresses(6, 2);
  // CPU time, not wall time, and the best of nine rounds: other processes on the shared machine only add noise.
  const measure = (ips: string[], cost: (ip: string) => number = (ip) => index.lookup(ip)) => {
    let sink = 0;
    let best = Infinity;
    for (let i = 0; i < 200_000; i++) sink += cost(ips[i & 8191]!); // warm-up
    for (let round = 0; round < 9; round++) {
      const before = process.cpuUsage();
      for (let i = 0; i < 500_000; i++) sink += cost(ips[i & 8191]!);
      const used = process.cpuUsage(before);
      best = Math.min(best, ((used.user + used.system) * 1000) / 500_000);
    }
    if (sink === 0.5) console.log(sink);
    return best;
  };
  const mixed = v4.map((ip, i) => (i % 4 === 3 ? v6[i]! : ip));
  const lookups = { v4ns: measure(v4), v6ns: measure(v6), mixedNs: measure(mixed) };
  const scan = (ip: string) => {
    let sum = 0;
    for (let i = 0; i < ip.length; i++) sum += ip.charCodeAt(i);
    return sum;
  };
  return {
    ...lookups,
    v4ScanNs: measure(v4, scan),
    v6ScanNs: measure(v6, scan),
    intervals: index.intervalCount,
    loadMs,
  };
}

if (require.main === module) process.stdout.write(JSON.stringify(measureLookups(process.argv[2]!)));
