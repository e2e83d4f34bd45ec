// Preloaded into every node process of a benchmark run (NODE_OPTIONS=--require): on exit, records the process's
// peak resident set size so the benchmark can report it for children and grandchildren alike.
const { appendFileSync } = require('node:fs');
const { join } = require('node:path');

const dir = process.env.RSS_REPORT_DIR;
if (dir) {
  process.on('exit', () => {
    appendFileSync(join(dir, 'max-rss.txt'), `${process.pid} ${process.resourceUsage().maxRSS}\n`);
  });
}
