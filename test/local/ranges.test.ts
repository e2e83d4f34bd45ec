/**
 * lib/local/ranges/generate.ts: the range samples npm run local gives its redirector keep, per region, one IPv4
 * prefix of the published file, in the published file's own shape, chosen where the whole file agrees on the region.
 */
import { parseAzureRanges } from '../../lib/clouds/azure/ip-ranges';
import { parseCidr } from '../../lib/clouds/ranges';
import { PUBLISHED, sampleEntries } from '../../lib/local/ranges/generate';
import { RangeIndex } from '../../lib/redirector/range-index';

const azure = PUBLISHED.find((published) => published.cloud === 'azure')!;

/** A service-tags file in miniature: two region tags, the regionless tag, a service tag. */
const TAGS = {
  changeNumber: 1,
  cloud: 'Public',
  values: [
    { name: 'AzureCloud', properties: { addressPrefixes: ['20.0.0.0/8'] } },
    {
      name: 'AzureCloud.westeurope',
      properties: { region: 'westeurope', addressPrefixes: ['2603:1020::/47', '20.50.0.0/16', '20.61.0.0/16'] },
    },
    { name: 'AzureCloud.eastus2', properties: { region: 'eastus2', addressPrefixes: ['20.36.0.0/16'] } },
    { name: 'Storage.westeurope', properties: { region: 'westeurope', addressPrefixes: ['20.50.1.0/24'] } },
  ],
};

describe('the local range samples (generate.ts)', () => {
  const index = new RangeIndex([{ cloud: 'azure', ranges: parseAzureRanges(TAGS, 'tags.json') }]);

  it("keep one IPv4 prefix per Azure region tag, in the tag's own shape, regions sorted", () => {
    expect(sampleEntries(azure, TAGS, index)).toEqual([
      { name: 'AzureCloud.eastus2', properties: { region: 'eastus2', addressPrefixes: ['20.36.0.0/16'] } },
      { name: 'AzureCloud.westeurope', properties: { region: 'westeurope', addressPrefixes: ['20.50.0.0/16'] } },
    ]);
  });

  it('skip a prefix whose client address the whole file places elsewhere', () => {
    const elsewhere = new RangeIndex([
      { cloud: 'azure', ranges: parseAzureRanges(TAGS, 'tags.json') },
      // An AWS /24 inside westeurope's first prefix, where that prefix's client address (20.50.0.1) falls.
      { cloud: 'aws', ranges: [{ ...parseCidr('20.50.0.0/24'), region: 'eu-west-1' }] },
    ]);
    expect(sampleEntries(azure, TAGS, elsewhere).map((entry) => entry.properties)).toEqual([
      { region: 'eastus2', addressPrefixes: ['20.36.0.0/16'] },
      { region: 'westeurope', addressPrefixes: ['20.61.0.0/16'] },
    ]);
  });
});
