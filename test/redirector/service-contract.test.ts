/**
 * The image keeps the container contract: docker/redirector.Dockerfile cannot import CONTAINER_PORT, so its PORT and
 * EXPOSE are held to it here (the Cloud Run construct and the server's default import it).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CONTAINER_PORT } from '../../lib/redirector/service-contract';

const DOCKERFILE = join(__dirname, '../../docker/redirector.Dockerfile');

/** The instructions of the runtime stage (after the last FROM), continuation lines joined, comments dropped. */
function runtimeStage(text: string): string[] {
  const instructions = text
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
  const lastFrom = instructions.findLastIndex((line) => /^FROM\s/i.test(line));
  return instructions.slice(lastFrom + 1);
}

describe('docker/redirector.Dockerfile', () => {
  const stage = runtimeStage(readFileSync(DOCKERFILE, 'utf8'));

  it('sets PORT to the container port', () => {
    const env = stage
      .filter((line) => /^ENV\s/i.test(line))
      .flatMap((line) => line.replace(/^ENV\s+/i, '').split(/\s+/))
      .map((pair) => pair.split('='));
    expect(env.filter(([name]) => name === 'PORT')).toEqual([['PORT', String(CONTAINER_PORT)]]);
  });

  it('exposes the container port, and only it', () => {
    const exposed = stage.filter((line) => /^EXPOSE\s/i.test(line)).flatMap((line) => line.split(/\s+/).slice(1));
    expect(exposed).toEqual([String(CONTAINER_PORT)]);
  });
});
