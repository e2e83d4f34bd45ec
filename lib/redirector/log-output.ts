/**
 * Where the redirector's log lines go: batched synchronous writes to a file descriptor (stdout in the service).
 *
 * Why not pino's own destination (sonic-boom): with `minLength` batching, its write() takes the byte length of the
 * whole pending batch on every line (flattening the batch string each time), so a line costs more the fuller the
 * batch is. Here a line is appended and counted in characters, and the batch is handed to write(2) as a string
 * (node encodes it on the way): measured per 300-byte line, about 0.2 µs at 16 KiB batches, against 0.5 µs when the
 * batch is first copied into a Buffer (a new allocation above 4 KiB) and 0.3 µs encoding each line into one.
 */
import { writeSync } from 'node:fs';

/** Takes whole lines (each ending in "\n"). pino writes to it as to any stream. */
export interface LineSink {
  write(line: string): void;
}

/**
 * A write(2) as node offers it (fs.writeSync): a string, or bytes from an offset; returns the bytes written, which
 * may be fewer than given (a pipe with less room than the batch).
 */
export interface WriteFn {
  (fd: number, text: string): number;
  (fd: number, bytes: Uint8Array, offset: number): number;
}

export interface BatchedOutputOptions {
  /** Pending characters that trigger a write. @default 16384 */
  readonly batchChars?: number;
  /** @default fs.writeSync */
  readonly write?: WriteFn;
  /** Blocks for `ms` (the wait before retrying a write the descriptor refused with EAGAIN). @default Atomics.wait */
  readonly sleep?: (ms: number) => void;
  /** Told once, the first time a batch is dropped. @default a process warning (a line on stderr) */
  readonly onDrop?: (err: Error) => void;
}

/** How long to wait when a non-blocking descriptor is full (the reader, e.g. Cloud Run's log agent, is behind). */
const FULL_PIPE_WAIT_MS = 1;
/** After about a second of a full pipe the batch is dropped: a stalled log reader must not stall the pulls. */
const FULL_PIPE_WAITS = 1000;

const blocker = new Int32Array(new SharedArrayBuffer(4));
function sleepSync(ms: number): void {
  Atomics.wait(blocker, 0, 0, ms);
}

function warnOfDrops(err: Error): void {
  process.emitWarning(`log lines are being dropped: ${err.message}`, 'RedirectorLogWarning');
}

/**
 * Lines collected in memory and written to `fd` in batches of about `batchChars`. The owner flushes the rest: at least
 * once a second (flushEvery) and before the process exits. A full pipe is waited for, up to about a second; any
 * other write error, or a longer stall, drops the batch (a broken log pipe must not fail or stall pulls) and is
 * reported once.
 */
export class BatchedOutput implements LineSink {
  private pending = '';
  private readonly batchChars: number;
  private readonly writeFn: WriteFn;
  private readonly sleep: (ms: number) => void;
  private readonly onDrop: (err: Error) => void;
  private dropReported = false;

  constructor(
    private readonly fd: number,
    options: BatchedOutputOptions = {},
  ) {
    this.batchChars = options.batchChars ?? 16_384;
    this.writeFn = options.write ?? writeSync;
    this.sleep = options.sleep ?? sleepSync;
    this.onDrop = options.onDrop ?? warnOfDrops;
  }

  write(line: string): void {
    this.pending += line;
    if (this.pending.length >= this.batchChars) this.flush();
  }

  /** Writes whatever is pending, now. */
  flush(): void {
    if (this.pending === '') return;
    const text = this.pending;
    this.pending = '';
    try {
      this.writeAll(text);
    } catch (err) {
      if (!this.dropReported) {
        this.dropReported = true;
        this.onDrop(err as Error);
      }
    }
  }

  /** Flushes every `ms` without keeping the process alive; returns the function that stops it. */
  flushEvery(ms: number): () => void {
    const timer = setInterval(() => this.flush(), ms);
    timer.unref();
    return () => clearInterval(timer);
  }

  /** The whole text: handed over as a string, then as bytes from where a partial write stopped. */
  private writeAll(text: string): void {
    let written = this.waitingWhileFull(() => this.writeFn(this.fd, text));
    const length = Buffer.byteLength(text);
    if (written === length) return;
    const bytes = Buffer.from(text, 'utf8');
    while (written < length) written += this.waitingWhileFull(() => this.writeFn(this.fd, bytes, written));
  }

  /** One write, retried while the descriptor is full (EAGAIN), for about a second at most. */
  private waitingWhileFull(write: () => number, waits = 0): number {
    try {
      return write();
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EAGAIN' || waits === FULL_PIPE_WAITS) throw err;
      this.sleep(FULL_PIPE_WAIT_MS);
      return this.waitingWhileFull(write, waits + 1);
    }
  }
}
