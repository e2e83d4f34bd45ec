/**
 * Azure's published ranges: the "Service Tags - Public" JSON (`ServiceTags_Public_<date>.json`). Only the
 * per-region `AzureCloud.<region>` tags are used: together they cover every Azure address of a region, while the
 * per-service tags repeat subsets of them (and the regionless `AzureCloud` tag repeats everything).
 */
import { arrayField, describeEntry, fieldOf, RangeFileError, rangeFromEntry, type IpRange } from '../ranges';

/** The download page; the file's own URL changes every week, so fetch-ip-ranges finds it on this page. */
export const AZURE_IP_RANGES_PAGE = 'https://www.microsoft.com/en-us/download/details.aspx?id=56519';
/** The file link on that page. */
export const AZURE_IP_RANGES_LINK =
  /https:\/\/download\.microsoft\.com\/download\/[^"'\s]+\/ServiceTags_Public_\d+\.json/;

const REGION_TAG = /^AzureCloud\.([a-z0-9]+)$/;

export function parseAzureRanges(json: unknown, fileName: string): IpRange[] {
  const ranges: IpRange[] = [];
  arrayField(json, 'values', fileName).forEach((entry, i) => {
    const name = fieldOf(entry, 'name');
    const tag = typeof name === 'string' ? REGION_TAG.exec(name) : null;
    if (!tag) return;
    const prefixes = fieldOf(fieldOf(entry, 'properties'), 'addressPrefixes');
    if (!Array.isArray(prefixes)) {
      throw new RangeFileError(
        fileName,
        describeEntry(`values[${i}]`, name),
        'properties.addressPrefixes must be an array',
      );
    }
    prefixes.forEach((prefix, j) => {
      ranges.push(rangeFromEntry(fileName, `values[${i}].properties.addressPrefixes[${j}]`, prefix, prefix, tag[1]));
    });
  });
  return ranges;
}
