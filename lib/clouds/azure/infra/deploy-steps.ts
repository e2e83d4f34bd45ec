/**
 * Azure's part of the ordered deploy (lib/deploy/plan.ts). Its one stack, azure-mirrors, is deployed twice: in the
 * storage phase (the accounts and containers the replication job writes, and the managed identity it acts as), and
 * in the writers phase, once the GCP replication stack has produced the unique ID of the Azure job's service
 * account, with the federated credential that trusts it. The backfill of a new region runs the Azure replication job
 * on demand: it writes every region's container itself, skipping what is there.
 */
import { cdktfDeploy, inPhase, type PhasedStep } from '../../../deploy/plan';
import type { DonorStep, InfraApp } from '../../../synth/donor-infra';
import { consumesDeployOutput, type Topology } from '../../../topology';
import { gcpNames } from '../../gcp/infra/names';
import { azureDonor } from '../donor';
import { azureMirrors, type AzureSection } from '../section';
import { AZURE_OUTPUT_IDS, AZURE_STACK_ID } from './names';

export const AZURE_STEP_IDS = { mirrors: 'azure-mirrors', trust: 'azure-trust', backfill: 'azure-backfill' } as const;

type AzureApp = Pick<InfraApp, 'script' | 'outdir'>;

const NO_TRUST = 'the managed identity has no federated credential: nothing can act as it, the Azure job cannot write';

function mirrors(topology: Topology, azure: AzureSection, app: AzureApp): DonorStep {
  const accounts = azureMirrors(azure).map((mirror) => mirror.account);
  return {
    id: AZURE_STEP_IDS.mirrors,
    tool: 'cdktf',
    summary:
      `Deploys the Azure resource group ${azure.resourceGroup}, a storage account per mirror region ` +
      `(${accounts.join(', ')}) with its public container (blobs readable by name, not listable; HTTPS only, TLS 1.2, ` +
      "no shared keys) and the replicator's managed identity.",
    stacks: [AZURE_STACK_ID],
    commands: [cdktfDeploy(AZURE_STACK_ID, app)],
    // The replication job presents the identity's client ID (AZURE_CLIENT_ID): gcp-replication takes it from here.
    produces: [{ key: 'azureReplicatorClientId', stack: AZURE_STACK_ID, output: AZURE_OUTPUT_IDS.replicatorClientId }],
    // Deployed again by azure-trust with the value; here too, or a re-run would take the credential away meanwhile.
    consumes: consumesDeployOutput(topology, 'azureReplicatorUniqueId')
      ? [{ key: 'azureReplicatorUniqueId', without: NO_TRUST, fromEarlierRun: true }]
      : [],
  };
}

/** Only when the trusted subject is left to the deploy: a written one is in the stack from its first deploy. */
function trust(topology: Topology, app: AzureApp): DonorStep[] {
  if (!consumesDeployOutput(topology, 'azureReplicatorUniqueId')) return [];
  return [
    {
      id: AZURE_STEP_IDS.trust,
      tool: 'cdktf',
      summary:
        "Deploys azure-mirrors again, now with the federated credential that lets the Azure replication job's " +
        'Google service account act as the managed identity (no keys, no SAS tokens).',
      stacks: [AZURE_STACK_ID],
      commands: [cdktfDeploy(AZURE_STACK_ID, app)],
      consumes: [{ key: 'azureReplicatorUniqueId', without: NO_TRUST }],
    },
  ];
}

function backfill(topology: Topology, azure: AzureSection): DonorStep {
  const { canonicalRegion, servingProject } = topology.gcp;
  const jobs = azureDonor.topology
    .replicationTargets(azure)
    .map((target) => gcpNames(topology).replicationJob(target.job));
  return {
    id: AZURE_STEP_IDS.backfill,
    tool: 'gcloud',
    summary:
      'A new Azure mirror starts empty: this runs the Azure replication job now rather than at its next schedule ' +
      '(it writes every region, skipping what a container already holds). Run it after adding a region, before ' +
      'raising the share.',
    stacks: [],
    commands: jobs.map((job) => ({
      tool: 'gcloud',
      args: ['run', 'jobs', 'execute', job, `--region=${canonicalRegion}`, `--project=${servingProject}`, '--wait'],
    })),
    onDemand: true,
  };
}

/** Azure's steps; `app` is its infrastructure app (not cdktf.json's), which its `cdktf deploy` commands name. */
export function azureDeploySteps(topology: Topology, app: AzureApp): PhasedStep[] {
  const azure = topology.azure;
  if (!azure?.enabled) return [];
  return [
    inPhase('storage')(mirrors(topology, azure, app)),
    ...trust(topology, app).map(inPhase('writers')),
    inPhase('backfill')(backfill(topology, azure)),
  ];
}
