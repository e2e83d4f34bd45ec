import {
  consumesDeployOutput,
  DEFAULT_TOPOLOGY,
  defaultBlobBaseUrl,
  deployOutputsEnv,
  deployOutputsFromEnv,
  leftToDeploy,
  parseTopology,
  terraformStateBucket,
  TopologyError,
  withDeployOutputs,
  type DeployOutputKey,
  type TopologyInput,
} from '../../lib/topology';
import { appTopology } from '../../lib/topology/app-topology';
import { azureSection } from '../clouds/azure/support';

const UNIQUE_ID = '104640947226104812386';
const CDN = 'd111111abcdef8.cloudfront.net';

function topologyWith(change: (t: TopologyInput) => void = () => {}) {
  const raw = structuredClone(DEFAULT_TOPOLOGY);
  change(raw);
  return parseTopology(raw, 'test');
}

const production = topologyWith();

/** An Azure section whose replicator's subject is left to the deploy. */
const AZURE = azureSection((raw) => (raw.replicator = {}));

describe('appTopology: what an infrastructure app synthesizes', () => {
  it('is the topology of its source with the deploy outputs of its environment applied', () => {
    const env = { DEPLOYED_CDN_DOMAIN_NAME: CDN, DEPLOYED_REPLICATOR_UNIQUE_ID: UNIQUE_ID };
    expect(appTopology({ env })).toEqual(
      withDeployOutputs(production, { cdnDomainName: CDN, replicatorUniqueId: UNIQUE_ID }),
    );
    expect(appTopology({ env: {} })).toEqual(production);
  });
});

describe('deploy outputs in the environment', () => {
  it.each<[string, Record<string, string>, object]>([
    ['nothing yet', {}, {}],
    ['empty values count as absent', { DEPLOYED_CDN_DOMAIN_NAME: '', DEPLOYED_REPLICATOR_UNIQUE_ID: '' }, {}],
    [
      'both',
      { DEPLOYED_CDN_DOMAIN_NAME: CDN, DEPLOYED_REPLICATOR_UNIQUE_ID: UNIQUE_ID },
      { cdnDomainName: CDN, replicatorUniqueId: UNIQUE_ID },
    ],
  ])('%s', (_name, env, expected) => {
    expect(deployOutputsFromEnv(env)).toEqual(expected);
  });

  it('names every malformed variable', () => {
    const read = () =>
      deployOutputsFromEnv({
        DEPLOYED_CDN_DOMAIN_NAME: 'https://x.cloudfront.net',
        DEPLOYED_REPLICATOR_UNIQUE_ID: 'sa@x',
      });
    expect(read).toThrow(TopologyError);
    expect(read).toThrow(
      [
        'invalid topology (deploy outputs in the environment): 2 problems',
        '  - DEPLOYED_CDN_DOMAIN_NAME: must be a DNS name like d111111abcdef8.cloudfront.net (got "https://x.cloudfront.net")',
        '  - DEPLOYED_REPLICATOR_UNIQUE_ID: must be a service account\'s numeric unique ID (got "sa@x")',
      ].join('\n'),
    );
  });

  it('is the inverse of the environment the deploy sets', () => {
    const outputs = { cdnDomainName: CDN, replicatorUniqueId: UNIQUE_ID };
    expect(deployOutputsFromEnv(deployOutputsEnv(outputs))).toEqual(outputs);
    expect(deployOutputsEnv({ replicatorUniqueId: UNIQUE_ID })).toEqual({ DEPLOYED_REPLICATOR_UNIQUE_ID: UNIQUE_ID });
  });
});

describe('which values a topology leaves to the deploy', () => {
  /** Without Azure, neither of its values is left to the deploy nor consumed. */
  const AZURE_OFF = {
    azureReplicatorUniqueId: [false, false],
    azureReplicatorClientId: [false, false],
  } satisfies Partial<Record<DeployOutputKey, [left: boolean, consumed: boolean]>>;
  const cases: Array<
    [string, (t: TopologyInput) => void, Record<DeployOutputKey, [left: boolean, consumed: boolean]>]
  > = [
    [
      'the default',
      () => {},
      {
        cdnDomainName: [true, true],
        replicatorUniqueId: [true, true],
        ...AZURE_OFF,
      },
    ],
    [
      'a custom CDN domain',
      (t) => (t.aws.cdn.domainName = 'cdn.example.com'),
      {
        cdnDomainName: [false, false],
        replicatorUniqueId: [true, true],
        ...AZURE_OFF,
      },
    ],
    [
      'a public URL in front of the CDN',
      (t) => (t.aws.cdn.publicUrl = 'https://blobs.example.com'),
      {
        cdnDomainName: [false, false],
        replicatorUniqueId: [true, true],
        ...AZURE_OFF,
      },
    ],
    [
      'no region using the CDN',
      (t) => {
        for (const region of Object.values(t.gcp.redirector.regions)) region.defaultBlobBackend = 'us-east-2';
      },
      {
        cdnDomainName: [true, false],
        replicatorUniqueId: [true, true],
        ...AZURE_OFF,
      },
    ],
    [
      'a written subject',
      (t) => (t.aws.writer.subject = '42'),
      {
        cdnDomainName: [true, true],
        replicatorUniqueId: [false, false],
        ...AZURE_OFF,
      },
    ],
    [
      'another issuer',
      (t) =>
        Object.assign(t.aws.writer, { oidcIssuer: 'https://token.actions.githubusercontent.com', subject: 'repo:o/r' }),
      {
        cdnDomainName: [true, true],
        replicatorUniqueId: [false, false],
        ...AZURE_OFF,
      },
    ],
    [
      'an Azure section with Google as its issuer: its subject and client ID are left to the deploy',
      (t) => (t.azure = AZURE),
      {
        cdnDomainName: [true, true],
        replicatorUniqueId: [true, true],
        azureReplicatorUniqueId: [true, true],
        azureReplicatorClientId: [true, true],
      },
    ],
    [
      'an Azure section with its subject written: the client ID is still left to the deploy',
      (t) => (t.azure = { ...AZURE, replicator: { subject: '42' } }),
      {
        cdnDomainName: [true, true],
        replicatorUniqueId: [true, true],
        azureReplicatorUniqueId: [false, false],
        azureReplicatorClientId: [true, true],
      },
    ],
    [
      'an Azure section with both written',
      (t) => (t.azure = { ...AZURE, replicator: { subject: '42', clientId: '00000000-0000-0000-0000-0000000000aa' } }),
      {
        cdnDomainName: [true, true],
        replicatorUniqueId: [true, true],
        ...AZURE_OFF,
      },
    ],
    [
      'an Azure section turned off',
      (t) => (t.azure = { ...AZURE, enabled: false }),
      {
        cdnDomainName: [true, true],
        replicatorUniqueId: [true, true],
        ...AZURE_OFF,
      },
    ],
  ];

  it.each(cases)('%s', (_name, change, expected) => {
    const topology = topologyWith(change);
    for (const key of Object.keys(expected) as DeployOutputKey[]) {
      expect([key, leftToDeploy(topology, key), consumesDeployOutput(topology, key)]).toEqual([key, ...expected[key]]);
    }
  });
});

describe('withDeployOutputs', () => {
  it("fills the Azure replicator's subject, and only where the topology leaves it to the deploy", () => {
    const azure = topologyWith((t) => (t.azure = AZURE));
    expect(withDeployOutputs(azure, { azureReplicatorUniqueId: '77' }).azure!.replicator.subject).toBe('77');
    expect(withDeployOutputs(azure, { replicatorUniqueId: '77' }).azure!.replicator.subject).toBeUndefined();
    expect(withDeployOutputs(production, { azureReplicatorUniqueId: '77' })).toBe(production);
  });

  it("fills the Azure managed identity's client ID beside the subject", () => {
    const clientId = '00000000-0000-0000-0000-0000000000aa';
    const azure = topologyWith((t) => (t.azure = AZURE));
    const deployed = withDeployOutputs(azure, { azureReplicatorUniqueId: '77', azureReplicatorClientId: clientId });
    expect(deployed.azure!.replicator).toMatchObject({ subject: '77', clientId });
    expect(withDeployOutputs(azure, { azureReplicatorClientId: clientId }).azure!.replicator.subject).toBeUndefined();
  });

  it('fills what the topology leaves to the deploy', () => {
    const deployed = withDeployOutputs(production, { cdnDomainName: CDN, replicatorUniqueId: UNIQUE_ID });
    expect(deployed.aws.cdn.publicUrl).toBe(`https://${CDN}`);
    expect(deployed.aws.writer.subject).toBe(UNIQUE_ID);
    expect(defaultBlobBaseUrl(deployed, 'europe-west4')).toBe(`https://${CDN}`);
    // The topology itself is not changed.
    expect(production.aws.writer.subject).toBeUndefined();
  });

  it('fills one value without touching the other', () => {
    const deployed = withDeployOutputs(production, { replicatorUniqueId: UNIQUE_ID });
    expect(deployed.aws.writer.subject).toBe(UNIQUE_ID);
    expect(deployed.aws.cdn).toBe(production.aws.cdn);
  });

  it('never overrides what the topology writes, and changes nothing without values', () => {
    const written = topologyWith((t) => {
      t.aws.cdn.domainName = 'cdn.example.com';
      t.aws.writer.subject = '42';
    });
    expect(withDeployOutputs(written, { cdnDomainName: CDN, replicatorUniqueId: UNIQUE_ID })).toEqual(written);
    expect(withDeployOutputs(production, {})).toBe(production);
  });
});

describe('the Terraform state bucket', () => {
  it.each<[string, (t: TopologyInput) => void, ReturnType<typeof terraformStateBucket>]>([
    [
      'by default: named after the serving project, in the canonical region',
      () => {},
      {
        bucket: 'k8s-infra-oci-proxy-prod-terraform-state',
        project: 'k8s-infra-oci-proxy-prod',
        location: 'us-central1',
        prefix: 'terraform/state',
      },
    ],
    [
      'as written',
      (t) => (t.gcp.stateBackend = { type: 'gcs', bucket: 'my-state', location: 'US', prefix: 'tf/' }),
      { bucket: 'my-state', project: 'k8s-infra-oci-proxy-prod', location: 'US', prefix: 'tf' },
    ],
    ['none with local state', (t) => (t.gcp.stateBackend = { type: 'local' }), undefined],
  ])('%s', (_name, change, expected) => {
    expect(terraformStateBucket(topologyWith(change))).toEqual(expected);
  });
});
