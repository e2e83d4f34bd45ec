/**
 * Gradual rollout of a donor's mirrors (issue 14): a cloud's traffic share (percent, routing table `mirrorShares`)
 * of its clients is sent to its mirrors, the others to the region's default. Who is in the share is a pure function
 * of the client's address: its bucket, a well-mixed hash of the address bytes modulo 10,000, below the share in
 * hundredths of a percent. The same address always gets the same answer at a given share, and raising the share
 * only adds clients (a bucket below the old bound is below the new one).
 */
import { parseIpv4, parseIpv6Into } from '../clouds/ranges';
import { murmur3 } from './murmur3';
import type { RoutingTable } from '../topology';

/** Buckets 0..9999: one per hundredth of a percent, the resolution of a share. */
export const SHARE_BUCKETS = 10_000;

/** The bucket of a text that is not an IP address: outside every partial share. */
export const NO_BUCKET = SHARE_BUCKETS;

/**
 * The address hashed, as 32-bit words: one for IPv4 (and for IPv4-mapped IPv6, so `::ffff:1.2.3.4` and `1.2.3.4`
 * share a bucket), four for IPv6. murmur3 spreads neighbouring addresses (a /24 of one customer) over every bucket.
 */
const words = new Uint32Array(4);

/** The share bucket (0..9999) of the IPv4 or IPv6 address in text[from, to), or NO_BUCKET for anything else. */
export function shareBucket(text: string, from = 0, to = text.length): number {
  const v4 = parseIpv4(text, from, to);
  if (v4 >= 0) {
    words[0] = v4;
    return murmur3(words, 1) % SHARE_BUCKETS;
  }
  if (!parseIpv6Into(text, words, from, to)) return NO_BUCKET;
  if (words[0] === 0 && words[1] === 0 && words[2] === 0xffff) {
    words[0] = words[3]!;
    return murmur3(words, 1) % SHARE_BUCKETS;
  }
  return murmur3(words, 4) % SHARE_BUCKETS;
}

/** Whether a client of this bucket is in a share of `percent` (0..100, two decimals): 100 takes every client. */
export function inShare(bucket: number, percent: number): boolean {
  return percent >= 100 || bucket < Math.round(percent * 100);
}

/** The share of a cloud's clients its mirrors take, in percent; undefined when the table sets none (all of them). */
export function sharePercent(table: RoutingTable, cloud: string): number | undefined {
  return table.mirrorShares?.[cloud];
}

/** The clouds whose clients need a bucket: a share strictly between 0 and 100 (at 0 or 100 the answer is known). */
export function partialShareClouds(table: RoutingTable): ReadonlySet<string> {
  return new Set(
    Object.entries(table.mirrorShares ?? {})
      .filter(([, percent]) => percent > 0 && percent < 100)
      .map(([cloud]) => cloud),
  );
}
