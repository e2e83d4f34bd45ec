/** The three renderings of one report, the exit-code decision, value display and the base cache's bookkeeping. */
import { baseCacheKey, staleEntries } from '../../lib/diff/base-cache';
import { exitCodeOf } from '../../lib/diff/compare';
import type { Change, DiffReport } from '../../lib/diff/model';
import { renderJson, renderMarkdown, renderText } from '../../lib/diff/render';
import { describeChange, shortValue, valueChanges } from '../../lib/diff/values';

const change = (overrides: Partial<Change> = {}): Change => ({
  cloud: 'aws',
  stack: 'registry-us-east-2',
  resource: 'MirrorBucket',
  type: 'AWS::S3::Bucket',
  action: 'modify',
  paths: ['LifecycleConfiguration.Rules[0].NoncurrentVersionExpiration.NoncurrentDays'],
  danger: [],
  values: [
    { path: 'LifecycleConfiguration.Rules[0].NoncurrentVersionExpiration.NoncurrentDays', before: 30, after: 60 },
  ],
  ...overrides,
});
const flagged = change({
  resource: 'OldBucket',
  action: 'remove',
  paths: [],
  values: [],
  danger: ['stateful-removed: deletes the S3 bucket and its data'],
});
const report: DiffReport = {
  base: 'origin/main',
  changes: [flagged, change()],
  routing: [
    { region: 'us-central1', client: 'aws:eu-west-1', from: 'https://a', to: 'https://b' },
    { region: 'us-central1', client: 'aws:eu-west-2', from: 'https://a', to: 'https://b' },
    { region: 'us-central1', client: 'other', from: 'https://c', to: null },
  ],
};

describe('renderers', () => {
  it('JSON has exactly the documented shape', () => {
    const json = JSON.parse(renderJson(report));
    expect(Object.keys(json)).toEqual(['base', 'changes', 'routing']);
    expect(json.changes[0]).toEqual({
      cloud: 'aws',
      stack: 'registry-us-east-2',
      resource: 'OldBucket',
      type: 'AWS::S3::Bucket',
      action: 'remove',
      paths: [],
      danger: ['stateful-removed: deletes the S3 bucket and its data'],
    });
    expect(json.routing[2]).toEqual({ region: 'us-central1', client: 'other', from: 'https://c', to: null });
  });

  it('text shows flags first, then routing grouped by move, then every change with its values', () => {
    expect(renderText(report)).toBe(
      [
        'diff against origin/main: 2 resource changes (1 remove, 1 modify); 1 flagged; routing: 3 client/region pairs in 1 Cloud Run regions move',
        '',
        'FLAGGED',
        '  - aws registry-us-east-2 OldBucket (AWS::S3::Bucket)',
        '      ! stateful-removed: deletes the S3 bucket and its data',
        '',
        'ROUTING (blob backend per client)',
        '  us-central1: aws:eu-west-1, aws:eu-west-2: https://a -> https://b',
        '  us-central1: other: https://c -> (no redirector)',
        '',
        'CHANGES',
        '  - aws registry-us-east-2 OldBucket (AWS::S3::Bucket)',
        '  ~ aws registry-us-east-2 MirrorBucket (AWS::S3::Bucket)',
        '      LifecycleConfiguration.Rules[0].NoncurrentVersionExpiration.NoncurrentDays: 30 -> 60',
        '',
      ].join('\n'),
    );
    expect(renderText({ base: 'main', changes: [], routing: [] })).toBe('diff against main: no changes\n');
  });

  it('markdown puts flags and routing in tables, escapes cells and keeps within a comment', () => {
    const markdown = renderMarkdown({
      ...report,
      changes: [...report.changes, change({ resource: 'a|b', values: [{ path: 'x', before: 'p|q', after: 'r' }] })],
    });
    expect(markdown).toContain('### Infrastructure diff against `origin/main`');
    expect(markdown).toContain(
      '| remove | aws | registry-us-east-2 | `OldBucket` | AWS::S3::Bucket | stateful-removed: deletes the S3 bucket and its data |',
    );
    expect(markdown).toContain('| us-central1 | aws:eu-west-1, aws:eu-west-2 | https://a | https://b |');
    expect(markdown).toContain('`a\\|b`');
    expect(markdown).toContain('x: "p\\|q" -> "r"');
    expect(markdown.indexOf('Flagged')).toBeLessThan(markdown.indexOf('Routing impact'));

    const many = Array.from({ length: 3000 }, (_, i) => change({ stack: `stack-${i}`, resource: `R${i}` }));
    const long = renderMarkdown({ base: 'main', changes: many, routing: [] });
    expect(long.length).toBeLessThan(65536);
    expect(long).toMatch(/more stacks left out to fit a comment/);
  });
});

describe('exitCodeOf', () => {
  const options = (failOnDestructive: boolean, allowDestructive: string[] = []) => ({
    failOnDestructive,
    allowDestructive,
  });
  it.each<[string, DiffReport, ReturnType<typeof options>, number]>([
    ['no change', { base: 'main', changes: [], routing: [] }, options(true), 0],
    ['ordinary changes', { base: 'main', changes: [change()], routing: [] }, options(true), 2],
    ['flagged, not asked to fail', report, options(false), 2],
    ['flagged with --fail-on-destructive', report, options(true), 3],
    ['flagged, but its type is allowed', report, options(true, ['AWS::S3::Bucket']), 2],
    ['flagged, another type allowed', report, options(true, ['AWS::IAM::Role']), 3],
  ])('%s', (_name, given, flags, code) => {
    expect(exitCodeOf(given, flags)).toBe(code);
  });
});

describe('values', () => {
  it('finds leaf paths, compares equal-length lists by index and others whole', () => {
    expect(
      valueChanges(
        { a: { b: 1, 'c.d': [1, 2] }, list: [1], gone: true },
        { a: { b: 2, 'c.d': [1, 3] }, list: [1, 2], added: 'x' },
      ),
    ).toEqual([
      { path: 'a.b', before: 1, after: 2 },
      { path: 'a."c.d"[1]', before: 2, after: 3 },
      { path: 'added', after: 'x' },
      { path: 'gone', before: true },
      { path: 'list', before: [1], after: [1, 2] },
    ]);
  });

  it('elides long values in the middle, and keeps the part two long values differ in', () => {
    expect(shortValue('x'.repeat(200), 21)).toBe(`"${'x'.repeat(9)}…${'x'.repeat(9)}"`);
    const long = (middle: string) => `${'a'.repeat(100)}${middle}${'z'.repeat(100)}`;
    expect(describeChange({ path: 'p', before: long('OLD'), after: long('NEW') })).toBe(
      `…${'a'.repeat(12)}OLD${'z'.repeat(12)}… -> …${'a'.repeat(12)}NEW${'z'.repeat(12)}…`,
    );
    expect(describeChange({ path: 'p', before: ['a', 'b'], after: ['b', 'c', 'd'] })).toBe('-"a" +"c" +"d"');
    expect(describeChange({ path: 'p', after: 1 })).toBe('(absent) -> 1');
  });
});

describe('base cache', () => {
  const inputs = { tree: 't', topology: 'default', dependencies: 'd', targets: '[]' };
  it('keys on every input', () => {
    const key = baseCacheKey(inputs);
    expect(key).toMatch(/^[0-9a-f]{32}$/);
    for (const part of Object.keys(inputs) as (keyof typeof inputs)[])
      expect(baseCacheKey({ ...inputs, [part]: 'other' })).not.toBe(key);
  });
  it('keeps the newest entries', () => {
    const entries = [3, 1, 4, 2].map((mtimeMs) => ({ name: `e${mtimeMs}`, mtimeMs }));
    expect(staleEntries(entries, 2).sort()).toEqual(['e1', 'e2']);
    expect(staleEntries(entries, 8)).toEqual([]);
  });
});
