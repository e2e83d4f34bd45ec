/**
 * What the image runs as redirector.js (npm run build:redirector writes it beside the bundle, redirector-main.js):
 * compiles the bundle with the V8 code cache made at build time (redirector-main.cache), so that start-up skips most
 * of parsing and compiling it, then runs it as node runs a CommonJS file. V8 itself checks the cache against its
 * version, its flags and the source; a cache it rejects (made by another Node, with other V8 flags in NODE_OPTIONS,
 * or for a bundle since changed) costs nothing but the time it would have saved, and a warning on stderr says so.
 *
 * `node redirector.js --write-code-cache` makes the cache: it starts the service on a free loopback port with the
 * environment it is given, asks it for /-/ready, /v2/ and a manifest (so that the request path is compiled too),
 * then writes the cache of everything compiled so far and exits.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { join } from 'node:path';
import { Script } from 'node:vm';
import { freePort } from '../lib/local/ports';
import { IMAGE_FILES, WRITE_CODE_CACHE_FLAG } from '../lib/redirector/image-files';

const main = join(__dirname, IMAGE_FILES.bundle);
const cacheFile = join(__dirname, IMAGE_FILES.codeCache);
const writing = process.argv[2] === WRITE_CODE_CACHE_FLAG;

/** Node's own CommonJS wrapper, so that the bundle sees require, module and __dirname as if node had loaded it. */
const source = `(function (exports, require, module, __filename, __dirname) {${readFileSync(main, 'utf8')}\n})`;
const cachedData = !writing && existsSync(cacheFile) ? readFileSync(cacheFile) : undefined;
const script = new Script(source, { filename: main, cachedData });
if (script.cachedDataRejected) {
  process.stderr.write(
    `redirector: V8 rejected ${cacheFile} (made by another Node, with other V8 flags, or for another ` +
      `${IMAGE_FILES.bundle}): compiling instead\n`,
  );
}

function status(port: number, path: string): Promise<number> {
  return new Promise((resolve) => {
    http
      .get({ host: '127.0.0.1', port, path, agent: false }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      })
      .once('error', () => resolve(0));
  });
}

async function writeCodeCache(port: number): Promise<void> {
  const deadline = Date.now() + 60_000;
  while ((await status(port, '/-/ready')) !== 200) {
    if (Date.now() > deadline) throw new Error('the service did not become ready within 60 s');
    await new Promise((resolve) => setTimeout(resolve, 20)); // polling pace; the answer decides
  }
  await status(port, '/v2/');
  await status(port, '/v2/pause/manifests/latest');
  writeFileSync(cacheFile, script.createCachedData());
  process.stderr.write(`redirector: wrote ${cacheFile}\n`);
  process.exit(0);
}

async function run(): Promise<void> {
  if (writing) {
    process.argv.splice(2, 1);
    const port = await freePort();
    Object.assign(process.env, { PORT: String(port), LISTEN_ADDRESS: '127.0.0.1', ADMIN_PORT: '0' });
    writeCodeCache(port).catch((err: unknown) => {
      process.stderr.write(`redirector: no code cache: ${(err as Error).message}\n`);
      process.exit(1);
    });
  }
  (script.runInThisContext() as (...args: unknown[]) => void)(module.exports, require, module, main, __dirname);
}

void run();
