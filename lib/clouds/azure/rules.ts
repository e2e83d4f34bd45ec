/**
 * Rules across the fields of the `azure` section, each a small function returning problems with their paths, so a
 * user sees every mistake at once (as lib/topology/validate.ts does for the rest of a topology).
 */
import type { TopologyProblem } from '../../topology/errors';
import { KNOWN_AZURE_REGIONS } from './regions';
import type { AzureSection } from './topology';
import { storageAccountName, storageAccountNameProblem } from './urls';

type Rule = (azure: AzureSection) => TopologyProblem[];

const quote = (v: unknown): string => JSON.stringify(v);
const GOOGLE_ISSUER = 'https://accounts.google.com';

const regionsExist: Rule = (azure) => [
  ...(KNOWN_AZURE_REGIONS.has(azure.location)
    ? []
    : [{ path: 'azure.location', message: `unknown Azure region ${quote(azure.location)}` }]),
  ...azure.mirrorRegions.flatMap((region, i) =>
    KNOWN_AZURE_REGIONS.has(region)
      ? []
      : [{ path: `azure.mirrorRegions[${i}]`, message: `unknown Azure region ${quote(region)}` }],
  ),
  ...Object.keys(azure.regionAliases).flatMap((alias) =>
    KNOWN_AZURE_REGIONS.has(alias)
      ? []
      : [{ path: `azure.regionAliases.${alias}`, message: `unknown Azure region ${quote(alias)}` }],
  ),
];

const regionsListedOnce: Rule = (azure) =>
  azure.mirrorRegions.flatMap((region, i) => {
    const first = azure.mirrorRegions.indexOf(region);
    return first === i
      ? []
      : [
          {
            path: `azure.mirrorRegions[${i}]`,
            message: `duplicate ${quote(region)} (already at azure.mirrorRegions[${first}])`,
          },
        ];
  });

const aliasesPointAtAccounts: Rule = (azure) =>
  Object.entries(azure.regionAliases).flatMap(([alias, target]) => {
    const path = `azure.regionAliases.${alias}`;
    if (azure.mirrorRegions.includes(alias))
      return [
        {
          path,
          message: `${quote(alias)} has its own storage account (in azure.mirrorRegions) and cannot be an alias`,
        },
      ];
    if (!azure.mirrorRegions.includes(target))
      return [{ path, message: `alias target ${quote(target)} has no storage account (not in azure.mirrorRegions)` }];
    return [];
  });

/** Account names are `<prefix><region code>` and must fit 24 characters (only a known region has a code). */
const accountNamesAreValid: Rule = (azure) =>
  azure.mirrorRegions.flatMap((region, i) => {
    if (!KNOWN_AZURE_REGIONS.has(region)) return [];
    const problem = storageAccountNameProblem(storageAccountName(azure.storageAccountPrefix, region));
    return problem
      ? [{ path: `azure.mirrorRegions[${i}]`, message: `${problem} (shorten azure.storageAccountPrefix)` }]
      : [];
  });

/** Only a Google service account's subject is produced by a deploy; any other issuer's must be written. */
const replicatorSubjectIsKnown: Rule = ({ replicator }) =>
  replicator.subject !== undefined || replicator.oidcIssuer === GOOGLE_ISSUER
    ? []
    : [
        {
          path: 'azure.replicator.subject',
          message: `is required for the issuer ${quote(replicator.oidcIssuer)} (only Google's subject, the replicator service account's ID, comes from the deploy)`,
        },
      ];

const RULES: readonly Rule[] = [
  regionsExist,
  regionsListedOnce,
  aliasesPointAtAccounts,
  accountNamesAreValid,
  replicatorSubjectIsKnown,
];

/** Every problem of an `azure` section (already shaped by AzureSchema), each with its path from the topology's root. */
export function azureSectionProblems(azure: AzureSection): TopologyProblem[] {
  return RULES.flatMap((rule) => rule(azure));
}
