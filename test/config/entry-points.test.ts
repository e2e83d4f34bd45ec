/**
 * Every bin/ entry point reads its command line the same way (lib/config/command-line): `--help` prints the usage
 * on stdout and exits 0; an unknown or malformed flag is named on stderr with a pointer to --help, exit 2, and
 * nothing is written.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { tsxNodeArgs } from '../../lib/synth/tsx';

const BIN = resolve(__dirname, '../../bin');

/** Entry point name (as its messages say it), file, and one of its flags that takes a value. */
const ENTRY_POINTS = [
  ['redirector', 'redirector.ts', '--region'],
  ['route', 'route.ts', '--ip'],
  ['fetch-ip-ranges', 'fetch-ip-ranges.ts', '--out'],
  ['build-redirector', 'build-redirector.ts', '--out'],
  ['replicate', 'replicate.ts', '--source'],
  ['synth', 'synth.ts', '--only'],
  ['aws', 'aws.ts', '--topology'],
  ['gcp', 'gcp.ts', '--topology'],
  ['azure', 'azure.ts', '--topology'],
  ['deploy', 'deploy.ts', '--from'],
] as const;

interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  /** What the run left in its working directory. */
  readonly written: string[];
}

function run(file: string, args: string[]): Promise<Run> {
  const cwd = mkdtempSync(join(tmpdir(), 'entry-point-'));
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    CDK_OUTDIR: join(cwd, 'cdk.out'),
    CDKTF_OUTDIR: join(cwd, 'cdktf.out'),
  };
  for (const name of ['TOPOLOGY', 'IP_RANGES', 'ROUTING_TABLE', 'CDK_CONTEXT_JSON']) delete env[name];
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [...tsxNodeArgs(join(BIN, file)), ...args], { cwd, env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    child.on('error', fail);
    child.on('close', (code) => {
      const written = readdirSync(cwd);
      rmSync(cwd, { recursive: true, force: true });
      done({ code, stdout, stderr, written });
    });
  });
}

describe.each(ENTRY_POINTS)('%s (bin/%s)', (name, file, stringFlag) => {
  let help: Run;
  let unknown: Run;
  let missing: Run;
  beforeAll(async () => {
    [help, unknown, missing] = await Promise.all([
      run(file, ['--help']),
      run(file, ['--bogus=1']),
      run(file, [stringFlag]),
    ]);
  });

  it('--help prints the usage on stdout and exits 0', () => {
    expect(help).toEqual({ code: 0, stdout: expect.stringMatching(/^Usage:/), stderr: '', written: [] });
    expect(help.stdout).toContain('--help');
  });

  it('an unknown flag exits 2, naming it and pointing at --help, and writes nothing', () => {
    expect(unknown).toEqual({
      code: 2,
      stdout: '',
      stderr: `${name}: unknown flag --bogus\n${name}: --help shows the usage\n`,
      written: [],
    });
  });

  it('a flag without its value exits 2, naming it', () => {
    expect(missing).toEqual({
      code: 2,
      stdout: '',
      stderr: `${name}: ${stringFlag} needs a value\n${name}: --help shows the usage\n`,
      written: [],
    });
  });
});
