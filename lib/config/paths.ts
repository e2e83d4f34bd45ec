/**
 * `['aws', 'mirrorRegions', 3]` -> `aws.mirrorRegions[3]`; with a root, `images` + `[0, 'tag']` -> `images[0].tag`.
 * How every configuration error names the field it is about (zod issue paths, topology rules, images files).
 */
export function formatPath(path: readonly PropertyKey[], root = ''): string {
  return path.reduce<string>(
    (text, key) => (typeof key === 'number' ? `${text}[${key}]` : text === '' ? String(key) : `${text}.${String(key)}`),
    root,
  );
}
