/**
 * The Cloud Run services and jobs run images by digest: a topology naming a tag is refused (the error names the
 * field), unless it says it is a development deploy (images.allowMutableTags).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tsxNodeArgs } from '../../../lib/synth/tsx';
import { parseTopology, TopologyError, type TopologyInput } from '../../../lib/topology';
import { resourcesOf, SMALL_TOPOLOGY_FILE, smallTopology, synthesizeGcp } from './support';

const TAGGED = 'us-central1-docker.pkg.dev/small-serving/services/redirector:v1';
const DIGEST = `@sha256:${'a'.repeat(64)}`;

function problems(change: (t: TopologyInput) => void): string[] {
  try {
    smallTopology(change);
    return [];
  } catch (err) {
    if (err instanceof TopologyError) return err.problems.map((p) => `${p.path}: ${p.message}`);
    throw err;
  }
}

describe('image references', () => {
  it.each<[string, (t: TopologyInput) => void, string[]]>([
    ['digests', () => {}, []],
    ['a tag and its digest', (t) => void (t.images.redirector = `${TAGGED}${DIGEST}`), []],
    [
      'a tag',
      (t) => void (t.images.redirector = TAGGED),
      [
        `images.redirector: "${TAGGED}" is a mutable tag: the services run images by digest (name@sha256:<64 hex>, ` +
          'as .github/workflows/images.yml prints them); a development deploy may set images.allowMutableTags: true',
      ],
    ],
    [
      'tags for both',
      (t) => {
        t.images.redirector = TAGGED;
        t.images.replicator = TAGGED.replace('redirector', 'replicator');
      },
      [expect.stringMatching(/^images\.redirector: /), expect.stringMatching(/^images\.replicator: /)],
    ],
    [
      'a tag in a development deploy',
      (t) => {
        t.images.redirector = TAGGED;
        t.images.allowMutableTags = true;
      },
      [],
    ],
    [
      'a short digest',
      (t) => void (t.images.replicator = `${TAGGED}@sha256:abc`),
      [expect.stringMatching(/^images\.replicator: must be an image reference with a digest/)],
    ],
  ])('%s', (_name, change, expected) => {
    expect(problems(change)).toEqual(expected);
  });

  it('a development deploy with tags runs them as written', () => {
    const topology = parseTopology(
      { ...smallTopology(), images: { ...smallTopology().images, redirector: TAGGED, allowMutableTags: true } },
      'test',
    );
    const [service] = resourcesOf(synthesizeGcp(topology).redirector, 'google_cloud_run_v2_service');
    expect(JSON.stringify(service)).toContain(`"image":"${TAGGED}"`);
  });
});

describe('bin/gcp.ts with a tagged image', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gcp-tag-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('refuses to synthesize, naming the field, and writes nothing', () => {
    const file = join(dir, 'tagged.yaml');
    writeFileSync(
      file,
      readFileSync(SMALL_TOPOLOGY_FILE, 'utf8').replace(/(redirector: \S+)@sha256:[0-9a-f]+/, '$1:v1'),
    );
    const outdir = join(dir, 'out');
    const result = spawnSync(
      process.execPath,
      [...tsxNodeArgs(join(__dirname, '../../../bin/gcp.ts')), '--topology', file],
      {
        env: { ...process.env, CDKTF_OUTDIR: outdir, TOPOLOGY: '' },
        encoding: 'utf8',
        timeout: 60_000,
      },
    );
    expect(result.status).toBe(1);
    expect(result.stderr).toContain(
      'images.redirector: "us-central1-docker.pkg.dev/small-serving/services/redirector:v1" is a mutable tag',
    );
    expect(existsSync(outdir)).toBe(false);
  });
});
