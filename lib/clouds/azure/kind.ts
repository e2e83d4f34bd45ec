/**
 * `replicate azure`: the Azure mirrors' blob containers as replication destinations, one per `--container-url`.
 * Registered in lib/replicator/kinds.ts; the Azure donor's replication target (donor.ts) names it.
 */
import { assertDistinct, type DestinationKind } from '../../replicator/kinds';
import { UsageError } from '../../replicator/errors';
import { containerClient } from './credentials';
import { AzureBlobDestination } from './destination';
import { containerLocation, type ContainerLocation } from './urls';

export interface AzureSettings {
  readonly containers: readonly ContainerLocation[];
}

export const AZURE_KIND: DestinationKind<AzureSettings> = {
  name: 'azure',
  usage:
    'replicate azure --source <host>/<repo-path> --container-url <https://account.blob.core.windows.net/container> [--container-url ...] [selection] [options]',
  flags: { 'container-url': { type: 'string', multiple: true } },
  parse(values) {
    const urls = (values['container-url'] as string[] | undefined) ?? [];
    if (urls.length === 0) throw new UsageError('--container-url is required (at least one container)');
    assertDistinct('--container-url', urls);
    return {
      containers: urls.map((url) => {
        try {
          return containerLocation(url);
        } catch (error) {
          throw new UsageError(`--container-url ${(error as Error).message}`);
        }
      }),
    };
  },
  open({ containers }, { env }) {
    const list = containers.map((location) => new AzureBlobDestination({ container: containerClient(location, env) }));
    // The SDK's clients share Node's HTTP agent: nothing of their own to close.
    return { list, close: () => undefined };
  },
};
