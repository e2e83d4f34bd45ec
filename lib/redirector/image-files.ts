/**
 * The files npm run build:redirector writes and the image holds, side by side in one directory. `node redirector.js`
 * finds the others relative to itself.
 */
export const IMAGE_FILES = {
  /** What node runs: compiles the bundle with its code cache (bin/redirector-loader.ts). */
  entry: 'redirector.js',
  /** The esbuild bundle of bin/redirector.ts. */
  bundle: 'redirector-main.js',
  /** V8's code cache of the bundle, made at build time by `node redirector.js --write-code-cache`. */
  codeCache: 'redirector-main.cache',
  /** The range index of the donors' official files (range-index-file.ts). */
  rangeIndex: 'ip-ranges.bin',
  /** The embedded default topology's routing tables, by redirector region (built-tables.ts). */
  routingTables: 'routing-tables.json',
} as const;

/** The loader's flag that makes the code cache instead of serving. */
export const WRITE_CODE_CACHE_FLAG = '--write-code-cache';
