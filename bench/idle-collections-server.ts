/**
 * The server of bench/idle-collections.ts: the bare node:http server (a fixed 307 to LOCATION on 127.0.0.1:PORT)
 * that, on SIGUSR2, makes the collections the memory release makes once a burst is over (RELEASE_LIMITS'
 * collectionsPerIdle full collections, as collectFully makes them for this Node), then writes one line on stdout
 * saying what it did.
 * With HOLD_TICK_SHAPES=1 it holds a tick object first, as the release does (holdTickShapes). Bundled by the bench,
 * so that the memory module runs as the image runs it.
 */
import http from 'node:http';
import { collectFully, holdTickShapes, RELEASE_LIMITS } from '../lib/redirector/memory';

const location = process.env.LOCATION;
if (process.env.HOLD_TICK_SHAPES === '1') holdTickShapes();

http
  .createServer((_req, res) => {
    res.writeHead(307, { location, 'content-length': 0 });
    res.end();
  })
  .listen(Number(process.env.PORT), '127.0.0.1');

// A signal, not a request: the collections then run with no request (and none of its tick objects) under way, as
// the release's do once the process is quiet.
process.on('SIGUSR2', () => {
  const started = performance.now();
  for (let i = 0; i < RELEASE_LIMITS.collectionsPerIdle; i++) collectFully();
  const ms = performance.now() - started;
  process.stdout.write(`${RELEASE_LIMITS.collectionsPerIdle} full collections in ${ms.toFixed(0)} ms\n`);
});
