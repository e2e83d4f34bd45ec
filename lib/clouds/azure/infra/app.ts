/** The Azure side of the registry: one stack, a pure function of the topology's `azure` section. */
import type { App } from 'cdktf';
import type { Topology } from '../../../topology';
import type { AzureSection } from '../section';
import { AZURE_STACK_ID } from './names';
import { AzureMirrorsStack } from './stack';

export interface AzureStacks {
  readonly mirrors: AzureMirrorsStack;
}

export function addAzureStacks(app: App, topology: Topology, azure: AzureSection): AzureStacks {
  return { mirrors: new AzureMirrorsStack(app, AZURE_STACK_ID, { topology, azure }) };
}
