import http from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  DESTINATION_KINDS,
  type DestinationKind,
  metadataIdentityToken,
  required,
  parseCommandLine,
  parseImagesFile,
  readImagesFile,
  registryCredentials,
  UsageError,
} from '../../lib/replicator';

const DIGEST = `sha256:${'a'.repeat(64)}`;

describe('parseCommandLine', () => {
  it('reads the s3 job', () => {
    expect(
      parseCommandLine([
        's3',
        '--source',
        'reg:5000/prod/images',
        '--bucket',
        'my-bucket',
        '--endpoint',
        'http://127.0.0.1:9000',
        '--repos',
        'a, b/c',
        '--concurrency',
        '4',
        '--rps',
        '2.5',
        '--dry-run',
        '--insecure-registry',
        'reg:5000',
      ]),
    ).toEqual({
      kind: 's3',
      source: { host: 'reg:5000', path: 'prod/images' },
      bucket: 'my-bucket',
      endpoint: 'http://127.0.0.1:9000',
      region: undefined,
      selection: { kind: 'repos', repositories: ['a', 'b/c'] },
      dryRun: true,
      concurrency: 4,
      rps: 2.5,
      hostRps: new Map(),
      insecureRegistries: new Set(['reg:5000']),
    });
  });

  it('reads a budget per registry host', () => {
    const command = parseCommandLine([
      ...['registry', '--source', 'a.example/p', '--dest', 'b.example/p', '--rps', '40'],
      ...['--host-rps', 'a.example=200', '--host-rps', '127.0.0.1:5000=7.5'],
    ]);
    expect(command).toMatchObject({
      rps: 40,
      hostRps: new Map([
        ['a.example', 200],
        ['127.0.0.1:5000', 7.5],
      ]),
    });
  });

  it.each(['us-east-2', 'us-gov-west-1', 'eusc-de-east-1'])(
    "takes the AWS region %s (the catalogue's shape)",
    (region) => {
      const command = parseCommandLine(['s3', '--source', 'h/p', '--bucket', 'b-1', '--region', region]);
      expect(command).toMatchObject({ kind: 's3', region });
    },
  );

  it('reads the registry job with several destinations and defaults', () => {
    const command = parseCommandLine([
      'registry',
      '--source',
      'a.example/p',
      '--dest',
      'b.example/p',
      '--dest',
      'c.example/q',
      '--images',
      'list.yaml',
    ]);
    expect(command).toMatchObject({
      kind: 'registry',
      destinations: [
        { host: 'b.example', path: 'p' },
        { host: 'c.example', path: 'q' },
      ],
      selection: { kind: 'images', file: 'list.yaml' },
      concurrency: 8,
      rps: 80,
    });
  });

  it.each([
    [[], /missing subcommand/],
    [['s3', '--bucket', 'b-1'], /--source is required/],
    [['s3', '--source', 'h/p', '--bucket', 'B'], /not a valid S3 bucket name/],
    [['s3', '--source', 'h/p', '--bucket', 'b-1', '--dest', 'x/y'], /--dest applies only to the registry subcommand/],
    [['registry', '--source', 'h/p', '--bucket', 'b-1'], /--bucket applies only to the s3 subcommand/],
    [['registry', '--source', 'h/p'], /--dest is required/],
    [['registry', '--source', 'h/p', '--dest', 'x/y', '--dest', 'x/y'], /given twice/],
    [['s3', '--source', 'h/p', '--bucket', 'b-1', '--repos', 'a', '--images', 'f'], /mutually exclusive/],
    [['s3', '--source', 'h/p', '--bucket', 'b-1', '--repos', 'A'], /not a valid repository name/],
    [['s3', '--source', 'h/p', '--bucket', 'b-1', '--concurrency', '0'], /--concurrency "0"/],
    [['s3', '--source', 'h/p', '--bucket', 'b-1', '--rps', 'fast'], /--rps "fast"/],
    [['s3', '--source', 'h/p', '--bucket', 'b-1', '--host-rps', 'h'], /--host-rps "h": expected host\[:port\]=N/],
    [['s3', '--source', 'h/p', '--bucket', 'b-1', '--host-rps', 'a b=1'], /--host-rps "a b=1": expected/],
    [['s3', '--source', 'h/p', '--bucket', 'b-1', '--host-rps', 'h=0'], /--host-rps h "0" is not a positive number/],
    [['s3', '--source', 'h/p', '--bucket', 'b-1', '--host-rps', 'h=1', '--host-rps', 'h=2'], /h is given twice/],
    [['s3', '--source', 'h/p', '--bucket', 'b-1', '--endpoint', 'ftp://x'], /not an http\(s\) URL/],
    [['s3', '--source', 'h/p', '--bucket', 'b-1', '--region', 'mars'], /not an AWS region/],
    [['s3', '--source', 'h/p', '--bucket', 'b-1', '--insecure-registry', 'a b'], /expected host:port/],
    [['s3', '--source', 'nopath', '--bucket', 'b-1'], /--source: "nopath" is not <host>\/<repository path>/],
    [['s3', '--source', 'h/p', '--bucket', 'b-1', 'extra'], /unexpected argument "extra"/],
    [['s3', '--source', 'h/p', '--bucket'], /argument missing|--bucket/],
  ])('refuses %j', (argv, message) => {
    expect(() => parseCommandLine(argv)).toThrow(UsageError);
    expect(() => parseCommandLine(argv)).toThrow(message);
  });
});

describe('parseCommandLine with kinds of its own', () => {
  /** A kind a test brings: a memory store named by --name, sharing --region with s3. */
  const memory: DestinationKind<{ name: string }> = {
    name: 'memory',
    usage: 'replicate memory --source <host>/<repo-path> --name <n>',
    flags: { name: { type: 'string' }, region: { type: 'string' } },
    parse: (values) => ({ name: required(values, 'name') }),
    open: () => ({ list: [], close: () => undefined }),
  };
  const kinds = [...DESTINATION_KINDS.filter((k) => k.name !== 'azure'), memory];

  it("reads the kind's own flags beside the common ones", () => {
    expect(parseCommandLine(['memory', '--source', 'h/p', '--name', 'm', '--rps', '5'], kinds)).toMatchObject({
      kind: 'memory',
      name: 'm',
      source: { host: 'h', path: 'p' },
      rps: 5,
    });
  });

  it.each([
    [[], 'missing subcommand: s3, registry or memory'],
    [['disk'], 'unknown subcommand "disk" (expected s3, registry or memory)'],
    [['memory', '--source', 'h/p'], '--name is required'],
    [
      ['registry', '--source', 'h/p', '--dest', 'x/y', '--region', 'us-east-2'],
      '--region applies only to the s3 or memory subcommand',
    ],
  ])('refuses %j naming the kinds', (argv, message) => {
    expect(() => parseCommandLine(argv, kinds)).toThrow(new UsageError(message));
  });

  it('is not known to the registered kinds', () => {
    expect(() => parseCommandLine(['memory', '--source', 'h/p'])).toThrow(/unknown flag|unknown subcommand "memory"/);
  });
});

describe('images file', () => {
  it('reads promoter-style YAML and JSON', () => {
    expect(parseImagesFile(`- name: pause\n  dmap:\n    "${DIGEST}": ["3.9", "latest"]\n`, 'f')).toEqual([
      { repository: 'pause', digest: DIGEST, tags: ['3.9', 'latest'] },
    ]);
    expect(parseImagesFile(JSON.stringify([{ name: 'a/b', dmap: { [DIGEST]: [] } }]), 'f')).toEqual([
      { repository: 'a/b', digest: DIGEST, tags: [] },
    ]);
  });

  it('lists every problem with its place', () => {
    const text = `- name: Bad\n  dmap:\n    "sha256:zz": ["ok"]\n- name: fine\n  dmap:\n    "${DIGEST}": ["-bad"]\n  extra: 1\n`;
    let message = '';
    try {
      parseImagesFile(text, 'images.yaml');
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(/images\.yaml: invalid images file/);
    expect(message).toMatch(/images\[0\]\.name: not a valid repository name/);
    expect(message).toMatch(/images\[0\]\.dmap.*not a valid digest/);
    expect(message).toMatch(/images\[1\]\.dmap\.sha256:a+\[0\]: not a valid tag/);
    expect(message).toMatch(/images\[1\]: Unrecognized key: "extra"/);
  });

  it('names a missing file', () =>
    expect(() => readImagesFile('/nonexistent/images.yaml')).toThrow(/--images \/nonexistent\/images\.yaml/));
});

describe('credentials from the environment', () => {
  let server: http.Server;
  let host: string;
  const requests: Array<{ url: string; flavor: string | undefined }> = [];
  beforeAll(async () => {
    server = http.createServer((request, response) => {
      requests.push({ url: request.url!, flavor: request.headers['metadata-flavor'] as string | undefined });
      response.setHeader('metadata-flavor', 'Google');
      if (request.url!.startsWith('/computeMetadata/v1/instance/service-accounts/default/token')) {
        response.end(JSON.stringify({ access_token: 'ya29.token', expires_in: 3599, token_type: 'Bearer' }));
      } else if (request.url!.startsWith('/computeMetadata/v1/instance/service-accounts/default/identity')) {
        response.end('eyJ.id.token');
      } else {
        response.statusCode = 404;
        response.end();
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    host = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('REGISTRY_AUTH=gcp-metadata: an access token as oauth2accesstoken, fetched once while valid', async () => {
    const credentials = registryCredentials({ REGISTRY_AUTH: 'gcp-metadata', GCE_METADATA_HOST: host });
    expect(await credentials()).toEqual({ username: 'oauth2accesstoken', password: 'ya29.token' });
    await credentials();
    expect(requests.filter((r) => r.url.endsWith('/token'))).toHaveLength(1);
    expect(requests.every((r) => r.flavor === 'Google')).toBe(true);
  });

  it('asks the metadata server for an ID token of the audience', async () => {
    expect(await metadataIdentityToken({ GCE_METADATA_HOST: host }, 'sts.amazonaws.com')).toBe('eyJ.id.token');
    expect(requests.at(-1)!.url).toBe(
      '/computeMetadata/v1/instance/service-accounts/default/identity?audience=sts.amazonaws.com&format=full',
    );
  });

  it.each([
    [{}, undefined],
    [
      { REGISTRY_USERNAME: 'u', REGISTRY_PASSWORD: 'p' },
      { username: 'u', password: 'p' },
    ],
  ])('%j -> %j', async (env, expected) => expect(await registryCredentials(env)()).toEqual(expected));

  it.each([
    [{ REGISTRY_AUTH: 'magic' }, /REGISTRY_AUTH/],
    [{ REGISTRY_USERNAME: 'u' }, /set together/],
  ])('refuses %j', (env, message) => expect(() => registryCredentials(env)).toThrow(message));
});
