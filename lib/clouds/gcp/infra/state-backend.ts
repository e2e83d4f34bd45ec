/**
 * Where each GCP stack keeps its Terraform state, as configured in topology.gcp.stateBackend: by default a versioned
 * Cloud Storage bucket that the deploy's first step creates (`npm run deploy`, docs/deploy.md).
 */
import { GcsBackend, LocalBackend, type TerraformStack } from 'cdktf';
import { terraformStateBucket, type Topology } from '../../../topology';

export type StackStateBackend =
  | { readonly type: 'local'; readonly path: string }
  | { readonly type: 'gcs'; readonly bucket: string; readonly prefix: string };

/** The backend of one stack: one GCS prefix per stack (`<prefix>/<stack>`) so their states never mix. */
export function stateBackendFor(topology: Topology, stackId: string): StackStateBackend {
  const bucket = terraformStateBucket(topology);
  // Relative to the stack's directory (cdktf.out/stacks/<id>), so the file lands where cdktf runs -- outside the
  // output directory that every synth replaces -- and the output does not depend on the checkout's absolute path.
  if (!bucket) return { type: 'local', path: `../../../terraform.${stackId}.tfstate` };
  return { type: 'gcs', bucket: bucket.bucket, prefix: bucket.prefix ? `${bucket.prefix}/${stackId}` : stackId };
}

export function addStateBackend(stack: TerraformStack, backend: StackStateBackend): void {
  if (backend.type === 'gcs') {
    new GcsBackend(stack, { bucket: backend.bucket, prefix: backend.prefix });
  } else {
    // The state file next to where cdktf runs: synth stays offline and needs no bucket.
    new LocalBackend(stack, { path: backend.path });
  }
}
