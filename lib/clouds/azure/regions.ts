/**
 * Azure region names: their shape, the catalogue of those that exist (each with the short code storage account
 * names carry), and the few regions that Azure's service-tags file spells differently from the location name
 * Azure Resource Manager deploys to.
 */

/** The shape of an Azure location name: `westeurope`, `eastus2`, `australiacentral2`. */
export const AZURE_REGION_NAME = /^[a-z][a-z0-9]{3,}$/;

/**
 * Every public Azure location with a short code of at most 8 characters, unique among them (Microsoft's Cloud
 * Adoption Framework abbreviations where one exists). A catalogue for validating topologies and naming storage
 * accounts, which must fit 24 characters: which regions we deploy to is written only in the topology.
 */
export const AZURE_REGION_CODES: Readonly<Record<string, string>> = {
  australiacentral: 'auc',
  australiacentral2: 'auc2',
  australiaeast: 'aue',
  australiasoutheast: 'ause',
  austriaeast: 'ate',
  brazilsouth: 'brs',
  brazilsoutheast: 'brse',
  canadacentral: 'cac',
  canadaeast: 'cae',
  centralindia: 'inc',
  centralus: 'cus',
  centraluseuap: 'ccy',
  chilecentral: 'clc',
  eastasia: 'ea',
  eastus: 'eus',
  eastus2: 'eus2',
  eastus2euap: 'ecy',
  francecentral: 'frc',
  francesouth: 'frs',
  germanynorth: 'gn',
  germanywestcentral: 'gwc',
  indonesiacentral: 'idc',
  israelcentral: 'ilc',
  israelnorthwest: 'ilnw',
  italynorth: 'itn',
  japaneast: 'jpe',
  japanwest: 'jpw',
  jioindiacentral: 'jic',
  jioindiawest: 'jiw',
  koreacentral: 'krc',
  koreasouth: 'krs',
  malaysiasouth: 'mys',
  malaysiawest: 'myw',
  mexicocentral: 'mxc',
  newzealandnorth: 'nzn',
  northcentralus: 'ncus',
  northeurope: 'neu',
  norwayeast: 'nwe',
  norwaywest: 'nww',
  polandcentral: 'plc',
  qatarcentral: 'qac',
  southafricanorth: 'san',
  southafricawest: 'saw',
  southcentralus: 'scus',
  southcentralus2: 'scus2',
  southeastasia: 'sea',
  southeastus: 'seus',
  southindia: 'ins',
  spaincentral: 'spc',
  swedencentral: 'sdc',
  swedensouth: 'sds',
  switzerlandnorth: 'szn',
  switzerlandwest: 'szw',
  taiwannorth: 'twn',
  taiwannorthwest: 'twnw',
  uaecentral: 'uac',
  uaenorth: 'uan',
  uksouth: 'uks',
  ukwest: 'ukw',
  westcentralus: 'wcus',
  westeurope: 'weu',
  westindia: 'inw',
  westus: 'wus',
  westus2: 'wus2',
  westus3: 'wus3',
};

export const KNOWN_AZURE_REGIONS: ReadonlySet<string> = new Set(Object.keys(AZURE_REGION_CODES));

/** The short code of a known location; throws naming the location otherwise. */
export function azureRegionCode(location: string): string {
  const code = AZURE_REGION_CODES[location];
  if (code === undefined) throw new Error(`unknown Azure region ${JSON.stringify(location)}`);
  return code;
}

/**
 * The service-tags file names a region `AzureCloud.<name>`, where <name> is the location name except for these
 * (tag spelling -> location). The redirector locates clients by the tag spelling, the stacks deploy to the location.
 */
const LOCATION_OF_TAG_REGION: Readonly<Record<string, string>> = {
  brazilse: 'brazilsoutheast',
  centralfrance: 'francecentral',
  chilec: 'chilecentral',
  germanyn: 'germanynorth',
  germanywc: 'germanywestcentral',
  norwaye: 'norwayeast',
  norwayw: 'norwaywest',
  southfrance: 'francesouth',
  switzerlandn: 'switzerlandnorth',
  switzerlandw: 'switzerlandwest',
};

/** The location a service-tag region name stands for (`germanywc` -> `germanywestcentral`, `westeurope` -> itself). */
export function locationOfTagRegion(tagRegion: string): string {
  return LOCATION_OF_TAG_REGION[tagRegion] ?? tagRegion;
}

/** The names under which the redirector sees clients of a location: the location, and its tag spelling if other. */
export function tagRegionsOf(location: string): string[] {
  const spellings = Object.keys(LOCATION_OF_TAG_REGION).filter((tag) => LOCATION_OF_TAG_REGION[tag] === location);
  return [location, ...spellings];
}
