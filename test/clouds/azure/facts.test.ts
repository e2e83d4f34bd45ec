/**
 * Azure's runtime-safe facts: the region catalogue against the real service-tags file, storage account naming and
 * blob URLs, the `azure` topology section (shape and defaults) and its rules, and the mirror map the redirector gets.
 */
import { readFileSync } from 'node:fs';
import { parseAzureRanges } from '../../../lib/clouds/azure/ip-ranges';
import {
  AZURE_REGION_CODES,
  AZURE_REGION_NAME,
  KNOWN_AZURE_REGIONS,
  locationOfTagRegion,
} from '../../../lib/clouds/azure/regions';
import { azureMirrorMap, azureMirrors, AzureSchema, validateAzureSection } from '../../../lib/clouds/azure/section';
import { containerBaseUrl, storageAccountName, storageAccountNameProblem } from '../../../lib/clouds/azure/urls';
import { HAVE_REAL_RANGES, REAL_RANGE_FILES } from '../../support/real-ranges';
import { azureSection } from './support';

/** Tags in the file for regions no customer can deploy to (staging, or not announced as locations). */
const INTERNAL_TAG_REGIONS = ['brazilne', 'northeurope2', 'usstagec', 'usstagee'];

(HAVE_REAL_RANGES ? describe : describe.skip)('the real service-tags file (../shared/data/ip-ranges)', () => {
  const file = JSON.parse(readFileSync(REAL_RANGE_FILES.azure, 'utf8')) as {
    values: Array<{ name: string; properties: { addressPrefixes: string[] } }>;
  };
  const regionTags = file.values.filter((value) => value.name.startsWith('AzureCloud.'));
  const ranges = parseAzureRanges(file, 'microsoft-azure-ip-ranges.json');

  it('parses every prefix of every AzureCloud.<region> tag, IPv4 and IPv6, and nothing else', () => {
    const expected = regionTags.flatMap((tag) =>
      tag.properties.addressPrefixes.map((prefix) => `${tag.name.slice('AzureCloud.'.length)} ${prefix}`),
    );
    expect(ranges).toHaveLength(expected.length);
    expect(ranges.filter((range) => range.family === 4).length).toBeGreaterThan(5000);
    expect(ranges.filter((range) => range.family === 6).length).toBeGreaterThan(2000);
    const westEurope = ranges.filter((range) => range.region === 'westeurope');
    expect(westEurope.length).toBe(
      regionTags.find((tag) => tag.name === 'AzureCloud.westeurope')!.properties.addressPrefixes.length,
    );
  });

  it('names regions the catalogue knows (by their location), but for internal ones', () => {
    const tagRegions = [...new Set(ranges.map((range) => range.region))];
    const unknown = tagRegions.filter((region) => !KNOWN_AZURE_REGIONS.has(locationOfTagRegion(region)));
    expect(unknown.sort()).toEqual(INTERNAL_TAG_REGIONS);
    // and the catalogue invents none: each of its locations has ranges in the file
    const located = new Set(tagRegions.map(locationOfTagRegion));
    expect([...KNOWN_AZURE_REGIONS].filter((location) => !located.has(location))).toEqual([]);
  });
});

describe('region names and codes', () => {
  it('gives each known region a unique short code of at most 8 lowercase letters and digits', () => {
    const codes = Object.values(AZURE_REGION_CODES);
    expect(new Set(codes).size).toBe(codes.length);
    for (const code of codes) expect(code).toMatch(/^[a-z][a-z0-9]{1,7}$/);
    for (const region of KNOWN_AZURE_REGIONS) expect(region).toMatch(AZURE_REGION_NAME);
  });

  it.each([
    ['westeurope', 'westeurope'],
    ['germanywc', 'germanywestcentral'],
    ['centralfrance', 'francecentral'],
    ['switzerlandn', 'switzerlandnorth'],
  ])('the service tag region %s is the location %s', (tag, location) => {
    expect(locationOfTagRegion(tag)).toBe(location);
  });
});

describe('storage accounts and blob URLs', () => {
  it.each([
    ['k8sreg', 'westeurope', 'k8sregweu'],
    ['k8sreg', 'eastus2', 'k8sregeus2'],
    ['registrymirrors2026a', 'australiasoutheast', 'registrymirrors2026aause'],
  ])('prefix %s in %s: %s', (prefix, region, name) => {
    expect(storageAccountName(prefix, region)).toBe(name);
    expect(storageAccountNameProblem(name)).toBeUndefined();
  });

  it.each([
    ['registrymirrors2026abause', 'is longer than 24 characters'],
    ['ab', 'must be 3-24 lowercase letters and digits'],
    ['K8sregweu', 'must be 3-24 lowercase letters and digits'],
  ])('refuses %s: %s', (name, problem) => {
    expect(storageAccountNameProblem(name)).toContain(problem);
  });

  it('refuses a region it has no code for', () => {
    expect(() => storageAccountName('k8sreg', 'marsnorth')).toThrow('unknown Azure region "marsnorth"');
  });

  it.each([
    ['https://{account}.blob.core.windows.net', 'https://k8sregweu.blob.core.windows.net/images'],
    ['http://127.0.0.1:10000/{account}', 'http://127.0.0.1:10000/k8sregweu/images'],
  ])('the container base URL from %s', (template, url) => {
    expect(containerBaseUrl(template, 'k8sregweu', 'images')).toBe(url);
  });
});

describe('the azure topology section', () => {
  it('fills in the defaults: enabled, dark (share 0), container "images", the public endpoint, Google trust', () => {
    expect(azureSection((raw) => delete raw.replicator)).toMatchObject({
      enabled: true,
      trafficShare: 0,
      container: 'images',
      regionAliases: { northeurope: 'westeurope' },
      blobEndpointTemplate: 'https://{account}.blob.core.windows.net',
      replicator: {
        identityName: 'registry-replicator',
        oidcIssuer: 'https://accounts.google.com',
        audience: 'api://AzureADTokenExchange',
      },
    });
  });

  it.each([
    [{ trafficShare: 101 }, 'trafficShare'],
    [{ trafficShare: 0.005 }, 'trafficShare'],
    [{ subscriptionId: 'not-a-guid' }, 'subscriptionId'],
    [{ mirrorRegions: ['West Europe'] }, 'mirrorRegions.0'],
    [{ storageAccountPrefix: 'K8s' }, 'storageAccountPrefix'],
    [{ container: 'Images' }, 'container'],
    [{ blobEndpointTemplate: 'https://blob.example.com' }, 'blobEndpointTemplate'],
    [{ replicator: { issuer: 'x' } }, 'replicator'],
  ])('refuses %j at %s', (change, path) => {
    const valid = AzureSchema.parse(azureSection());
    const result = AzureSchema.safeParse({ ...valid, ...change });
    expect(result.success).toBe(false);
    expect(result.error!.issues.map((issue) => issue.path.join('.'))).toEqual([path]);
  });

  it('finds nothing wrong with a good section', () => {
    expect(validateAzureSection(azureSection())).toEqual([]);
  });

  it.each<[string, Parameters<typeof azureSection>[0], Array<{ path: string; message: string }>]>([
    [
      'unknown regions',
      (raw) => {
        raw.location = 'marsnorth';
        raw.mirrorRegions = ['westeurope', 'marssouth'];
        raw.regionAliases = { marswest: 'westeurope' };
      },
      [
        { path: 'location', message: 'unknown Azure region "marsnorth"' },
        { path: 'mirrorRegions[1]', message: 'unknown Azure region "marssouth"' },
        { path: 'regionAliases.marswest', message: 'unknown Azure region "marswest"' },
      ],
    ],
    [
      'a region listed twice',
      (raw) => void (raw.mirrorRegions = ['westeurope', 'eastus2', 'westeurope']),
      [{ path: 'mirrorRegions[2]', message: 'duplicate "westeurope" (already at azure.mirrorRegions[0])' }],
    ],
    [
      'aliases that are mirrors or point at none',
      (raw) => void (raw.regionAliases = { eastus2: 'westeurope', westus: 'westus2' }),
      [
        {
          path: 'regionAliases.eastus2',
          message: '"eastus2" has its own storage account (in azure.mirrorRegions) and cannot be an alias',
        },
        {
          path: 'regionAliases.westus',
          message: 'alias target "westus2" has no storage account (not in azure.mirrorRegions)',
        },
      ],
    ],
    [
      'an account name over 24 characters',
      (raw) => {
        raw.storageAccountPrefix = 'registrymirrors2026a'; // 20 characters, the most the section takes
        raw.mirrorRegions = ['westeurope', 'southcentralus2'];
      },
      [
        {
          path: 'mirrorRegions[1]',
          message:
            'storage account name "registrymirrors2026ascus2" is longer than 24 characters (shorten azure.storageAccountPrefix)',
        },
      ],
    ],
    [
      'another issuer without a subject',
      (raw) => void (raw.replicator = { oidcIssuer: 'https://token.actions.githubusercontent.com' }),
      [
        {
          path: 'replicator.subject',
          message:
            'is required for the issuer "https://token.actions.githubusercontent.com" (only Google\'s subject, the replicator service account\'s ID, comes from the deploy)',
        },
      ],
    ],
  ])('reports %s, each with its path', (_case, change, problems) => {
    expect(validateAzureSection(azureSection(change))).toEqual(problems);
  });
});

describe('the mirrors the redirector and the replicator get', () => {
  it('one account and container URL per mirror region', () => {
    expect(azureMirrors(azureSection())).toEqual([
      {
        region: 'westeurope',
        account: 'smallregweu',
        serviceUrl: 'https://smallregweu.blob.core.windows.net',
        container: 'images',
        baseUrl: 'https://smallregweu.blob.core.windows.net/images',
      },
      {
        region: 'eastus2',
        account: 'smallregeus2',
        serviceUrl: 'https://smallregeus2.blob.core.windows.net',
        container: 'images',
        baseUrl: 'https://smallregeus2.blob.core.windows.net/images',
      },
    ]);
  });

  it('keys client regions as the service-tags file names them, aliases included', () => {
    const azure = azureSection((raw) => {
      raw.mirrorRegions = ['germanywestcentral'];
      raw.regionAliases = { switzerlandnorth: 'germanywestcentral' };
    });
    const url = 'https://smallreggwc.blob.core.windows.net/images';
    expect(azureMirrorMap(azure)).toEqual({
      germanywc: url,
      germanywestcentral: url,
      switzerlandn: url,
      switzerlandnorth: url,
    });
  });
});
