/** The entry points' shared command-line helper: parseFlags and the value checks, as tables. */
import {
  choiceFlag,
  FlagError,
  parseFlags,
  requiredFlag,
  wholeNumberFlag,
  type CommandLineSpec,
} from '../../lib/config/command-line';

const FLAGS = {
  port: { type: 'string' },
  dry: { type: 'boolean' },
  ranges: { type: 'string', multiple: true },
} as const;
const SPEC: CommandLineSpec<typeof FLAGS> = { name: 'tool', usage: 'Usage: tool', flags: FLAGS };
const WITH_SUBCOMMANDS: CommandLineSpec<typeof FLAGS> = { ...SPEC, positionals: true };

function errorOf(run: () => unknown): string {
  try {
    run();
  } catch (err) {
    if (err instanceof FlagError) return err.message;
    throw err;
  }
  throw new Error('expected a FlagError');
}

describe('parseFlags', () => {
  it.each<[string[], object]>([
    [[], { values: {}, positionals: [] }],
    [['--port', '80'], { values: { port: '80' }, positionals: [] }],
    [['--port=80', '--dry'], { values: { port: '80', dry: true }, positionals: [] }],
    [['--port=-1'], { values: { port: '-1' }, positionals: [] }],
    [['--ranges', 'a', '--ranges=b'], { values: { ranges: ['a', 'b'] }, positionals: [] }],
  ])('%j -> %j', (argv, expected) => {
    expect(parseFlags(argv, SPEC)).toEqual(expected);
  });

  it('takes positionals only where the command has subcommands', () => {
    expect(parseFlags(['s3', '--dry', 'x'], WITH_SUBCOMMANDS)).toEqual({
      values: { dry: true },
      positionals: ['s3', 'x'],
    });
    expect(errorOf(() => parseFlags(['s3'], SPEC))).toBe('unexpected argument "s3"');
  });

  it.each([[['--help']], [['-h']], [['--port', '80', '--help']], [['--bogus', '--help']]])(
    '%j asks for the usage, whatever else is given',
    (argv) => {
      expect(parseFlags(argv, SPEC)).toBe('help');
    },
  );

  it.each([
    [['--foo'], 'unknown flag --foo'],
    [['--foo=1'], 'unknown flag --foo'],
    [['-x'], 'unknown flag -x'],
    [['--port'], '--port needs a value'],
    [['--port='], '--port needs a value'],
    [['--port', '--dry'], '--port needs a value'],
    [['--dry=yes'], '--dry takes no value'],
    [['--port', '1', '--port', '2'], '--port is given twice'],
  ])('refuses %j: %s', (argv, message) => {
    expect(errorOf(() => parseFlags(argv, SPEC))).toBe(message);
  });
});

describe('flag values', () => {
  it.each<[string, () => unknown]>([
    ['--ip is required', () => requiredFlag('--ip', undefined)],
    ['--port "x" is not a whole number from 0 to 65535', () => wholeNumberFlag('--port', 'x', 0, 65535)],
    ['--port "1.5" is not a whole number from 0 to 65535', () => wholeNumberFlag('--port', '1.5', 0, 65535)],
    ['--concurrency "0" is not a whole number from 1 to 256', () => wholeNumberFlag('--concurrency', '0', 1, 256)],
    ['--blob-present "maybe" is not one of yes, no', () => choiceFlag('--blob-present', 'maybe', ['yes', 'no'])],
  ])('%s', (message, check) => {
    expect(errorOf(check)).toBe(message);
  });

  it('passes good values through', () => {
    expect(requiredFlag('--ip', '::1')).toBe('::1');
    expect(wholeNumberFlag('--port', '8080', 0, 65535)).toBe(8080);
    expect(choiceFlag('--blob-present', 'no', ['yes', 'no'])).toBe('no');
  });
});
