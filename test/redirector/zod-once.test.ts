import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as z from 'zod';

describe('zod-once: the redirector builds its schemas without compiled parsers', () => {
  test('importing it turns compiled parsers off for every schema built after', async () => {
    expect(z.config().jitless).not.toBe(true);
    await import('../../lib/redirector/zod-once');
    expect(z.config().jitless).toBe(true);
  });

  test("it is the entry's first import, before any module that builds a schema", () => {
    const entry = readFileSync(join(__dirname, '../../bin/redirector.ts'), 'utf8');
    const imports = [...entry.matchAll(/^import .*?'([^']+)';$/gm)].map((match) => match[1]);
    expect(imports[0]).toBe('../lib/redirector/zod-once');
  });
});
