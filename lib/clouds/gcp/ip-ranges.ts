/**
 * Google Cloud's published ranges (https://www.gstatic.com/ipranges/cloud.json): `prefixes[]` with either
 * `ipv4Prefix` or `ipv6Prefix`, and the region in `scope`.
 */
import { arrayField, describeEntry, fieldOf, RangeFileError, rangeFromEntry, type IpRange } from '../ranges';

export const GCP_IP_RANGES_URL = 'https://www.gstatic.com/ipranges/cloud.json';

export function parseGcpRanges(json: unknown, fileName: string): IpRange[] {
  return arrayField(json, 'prefixes', fileName).map((entry, i) => {
    const prefix = fieldOf(entry, 'ipv4Prefix') ?? fieldOf(entry, 'ipv6Prefix');
    if (prefix === undefined) {
      throw new RangeFileError(
        fileName,
        describeEntry(`prefixes[${i}]`, entry),
        'has neither ipv4Prefix nor ipv6Prefix',
      );
    }
    return rangeFromEntry(fileName, `prefixes[${i}]`, entry, prefix, fieldOf(entry, 'scope'));
  });
}
