/**
 * The base of every GCP stack: a Google provider for the stack's project, the configured state backend, and the
 * Google APIs the stack's resources call, enabled before any of them is created.
 */
import { GoogleProvider } from '@cdktf/provider-google/lib/provider';
import { ProjectService } from '@cdktf/provider-google/lib/project-service';
import { Aspects, TerraformDataSource, TerraformOutput, TerraformResource, TerraformStack } from 'cdktf';
import type { Construct, IConstruct } from 'constructs';
import type { Topology } from '../../../topology';
import type { ProjectApi } from './apis';
import { addStateBackend, stateBackendFor } from './state-backend';

export interface GcpStackProps {
  readonly topology: Topology;
  /** The project resources are created in unless they name another. */
  readonly project: string;
  /** The Google APIs the stack's resources call (apisOf). */
  readonly apis: readonly ProjectApi[];
  /** The provider's default region. @default none: every regional resource names its region */
  readonly region?: string;
}

export class GcpStack extends TerraformStack {
  readonly topology: Topology;
  readonly project: string;
  /** One google_project_service per API; every other resource and data source of the stack depends on them. */
  readonly apiServices: readonly ProjectService[];

  constructor(scope: Construct, id: string, props: GcpStackProps) {
    super(scope, id);
    this.topology = props.topology;
    this.project = props.project;
    new GoogleProvider(this, 'google', {
      project: props.project,
      ...(props.region ? { region: props.region } : {}),
      // Labels make every resource of this registry findable (and billable) as one.
      defaultLabels: { registry: props.topology.name, managed_by: 'cdktf' },
    });
    addStateBackend(this, stateBackendFor(props.topology, id));
    this.apiServices = props.apis.map(
      ({ project, api }) =>
        new ProjectService(this, `api-${project}-${api.split('.')[0]}`, {
          project,
          service: api,
          // Other stacks (and other users of the project) may need it still.
          disableOnDestroy: false,
        }),
    );
    Aspects.of(this).add({ visit: (node) => dependOnApis(node, this.apiServices) });
  }
}

/** Terraform would otherwise create a resource in parallel with the enabling of the API it calls, and fail. */
function dependOnApis(node: IConstruct, services: readonly ProjectService[]): void {
  if (node instanceof ProjectService) return;
  if (!(node instanceof TerraformResource) && !(node instanceof TerraformDataSource)) return;
  // The address as depends_on takes it (`google_project_service.<id>`), not the `${...}` interpolation fqn gives.
  const addresses = services.map((service) => `${service.terraformResourceType}.${service.friendlyUniqueId}`);
  const missing = addresses.filter((address) => !node.dependsOn?.includes(address));
  if (missing.length > 0) node.dependsOn = [...(node.dependsOn ?? []), ...missing];
}

/** Outputs with stable names (output name = key), so operators and docs can refer to them. */
export function outputs(stack: TerraformStack, values: Record<string, [value: string, description: string]>): void {
  for (const [name, [value, description]] of Object.entries(values)) {
    new TerraformOutput(stack, name, { value, description }).overrideLogicalId(name);
  }
}
