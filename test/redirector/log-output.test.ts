/**
 * The batched log output: lines reach the descriptor whole, in order, in batches, through partial writes and full
 * pipes; a broken descriptor drops batches without throwing and says so once.
 */
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BatchedOutput, type WriteFn } from '../../lib/redirector/log-output';

/** A descriptor stand-in that records what it was given, at most `chunk` bytes a call. */
function recordingWrite(chunk = Infinity) {
  const writes: string[] = [];
  const write = ((_fd: number, data: string | Uint8Array, offset: number = 0) => {
    const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    const end = Math.min(bytes.length, offset + chunk);
    writes.push(Buffer.from(bytes.subarray(offset, end)).toString('latin1'));
    return end - offset;
  }) as WriteFn;
  return { writes, write, text: () => Buffer.from(writes.join(''), 'latin1').toString('utf8') };
}

/** Refuses the first `times` calls with `code`, then behaves like `write`. */
function refusing(times: number, code: string, write: WriteFn): WriteFn {
  return ((fd: number, data: string, offset?: number) => {
    if (times-- > 0) throw errno(code);
    return offset === undefined ? write(fd, data) : write(fd, data as unknown as Uint8Array, offset);
  }) as WriteFn;
}

function errno(code: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`${code}: write failed`), { code });
}

describe('BatchedOutput', () => {
  it('holds lines until a batch is full, then writes them in one call; flush writes the rest', () => {
    const fd = recordingWrite();
    const output = new BatchedOutput(7, { batchChars: 10, write: fd.write });
    output.write('1234\n');
    expect(fd.writes).toEqual([]);
    output.write('5678\n');
    expect(fd.writes).toEqual(['1234\n5678\n']);
    output.write('9\n');
    output.flush();
    output.flush();
    expect(fd.writes).toEqual(['1234\n5678\n', '9\n']);
  });

  it('resumes a partial write where it stopped, counting bytes, not characters', () => {
    const fd = recordingWrite(3);
    const output = new BatchedOutput(7, { write: fd.write });
    const lines = ['{"reference":"é€😀"}\n', '{"n":2}\n'];
    for (const line of lines) output.write(line);
    output.flush();
    expect(fd.text()).toBe(lines.join(''));
    expect(fd.writes.length).toBeGreaterThan(5);
  });

  it('waits while the pipe is full (EAGAIN) and then writes everything', () => {
    const fd = recordingWrite(4);
    const sleeps: number[] = [];
    const output = new BatchedOutput(7, { write: refusing(2, 'EAGAIN', fd.write), sleep: (ms) => sleeps.push(ms) });
    output.write('line\n');
    output.write('é\n');
    output.flush();
    expect(fd.text()).toBe('line\né\n');
    expect(sleeps).toEqual([1, 1]);
  });

  it('blocks for real by default while the pipe is full', () => {
    const fd = recordingWrite();
    const output = new BatchedOutput(7, { write: refusing(1, 'EAGAIN', fd.write) });
    output.write('line\n');
    const before = performance.now();
    output.flush();
    expect(performance.now() - before).toBeGreaterThanOrEqual(0.9);
    expect(fd.text()).toBe('line\n');
  });

  it('drops a batch after about a second of full pipe, and one that meets a broken pipe, telling only once', () => {
    const failures: Error[] = [];
    let sleeps = 0;
    let code = 'EAGAIN';
    const output = new BatchedOutput(7, {
      write: () => {
        throw errno(code);
      },
      sleep: () => sleeps++,
      onDrop: (err) => failures.push(err),
    });
    output.write('stalled\n');
    expect(() => output.flush()).not.toThrow();
    expect(sleeps).toBe(1000);
    code = 'EPIPE';
    output.write('broken\n');
    output.flush();
    expect(failures.map((err) => (err as NodeJS.ErrnoException).code)).toEqual(['EAGAIN']);
  });

  it('tells of dropped lines with a process warning by default', () => {
    const warn = jest.spyOn(process, 'emitWarning').mockImplementation(() => {});
    try {
      const output = new BatchedOutput(7, {
        write: () => {
          throw errno('EPIPE');
        },
      });
      output.write('lost\n');
      output.flush();
      expect(warn.mock.calls).toEqual([['log lines are being dropped: EPIPE: write failed', 'RedirectorLogWarning']]);
    } finally {
      warn.mockRestore();
    }
  });

  it('flushes on a timer until stopped', () => {
    jest.useFakeTimers();
    try {
      const fd = recordingWrite();
      const output = new BatchedOutput(7, { write: fd.write });
      const stop = output.flushEvery(1000);
      output.write('a\n');
      jest.advanceTimersByTime(999);
      expect(fd.writes).toEqual([]);
      jest.advanceTimersByTime(1);
      expect(fd.writes).toEqual(['a\n']);
      stop();
      output.write('b\n');
      jest.advanceTimersByTime(5000);
      expect(fd.writes).toEqual(['a\n']);
    } finally {
      jest.useRealTimers();
    }
  });

  it('writes to a real file descriptor by default', () => {
    const dir = mkdtempSync(join(tmpdir(), 'log-output-'));
    const file = join(dir, 'out.log');
    const fd = openSync(file, 'w');
    try {
      const output = new BatchedOutput(fd, { batchChars: 8 });
      output.write('first line\n');
      output.write('second\n');
      output.flush();
      expect(readFileSync(file, 'utf8')).toBe('first line\nsecond\n');
    } finally {
      closeSync(fd);
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
