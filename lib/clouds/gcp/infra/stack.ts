/** The base of every GCP stack: a Google provider for the stack's project and the configured state backend. */
import { GoogleProvider } from '@cdktf/provider-google/lib/provider';
import { TerraformOutput, TerraformStack } from 'cdktf';
import type { Construct } from 'constructs';
import type { Topology } from '../../../topology';
import { addStateBackend, stateBackendFor } from './state-backend';

export interface GcpStackProps {
  readonly topology: Topology;
  /** The project resources are created in unless they name another. */
  readonly project: string;
  /** The provider's default region. @default none: every regional resource names its region */
  readonly region?: string;
}

export class GcpStack extends TerraformStack {
  readonly topology: Topology;
  readonly project: string;

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
  }
}

/** Outputs with stable names (output name = key), so operators and docs can refer to them. */
export function outputs(stack: TerraformStack, values: Record<string, [value: string, description: string]>): void {
  for (const [name, [value, description]] of Object.entries(values)) {
    new TerraformOutput(stack, name, { value, description }).overrideLogicalId(name);
  }
}
