/**
 * AWS's published ranges (https://ip-ranges.amazonaws.com/ip-ranges.json): `prefixes[].ip_prefix` and
 * `ipv6_prefixes[].ipv6_prefix`, each with a `region` (including `GLOBAL`, which the redirector sends to the
 * default backend because no mirror is mapped to it).
 */
import { arrayField, fieldOf, rangeFromEntry, type IpRange } from '../ranges';

export const AWS_IP_RANGES_URL = 'https://ip-ranges.amazonaws.com/ip-ranges.json';

export function parseAwsRanges(json: unknown, fileName: string): IpRange[] {
  const ranges: IpRange[] = [];
  for (const [field, prefixField] of [
    ['prefixes', 'ip_prefix'],
    ['ipv6_prefixes', 'ipv6_prefix'],
  ] as const) {
    arrayField(json, field, fileName).forEach((entry, i) => {
      ranges.push(
        rangeFromEntry(fileName, `${field}[${i}]`, entry, fieldOf(entry, prefixField), fieldOf(entry, 'region')),
      );
    });
  }
  return ranges;
}
