/**
 * Where the redirector's log lines go: batched synchronous writes to a file descriptor (stdout in the service).
 *
 * Why not pino's own destination (sonic-boom): with `minLength` batching, its write() takes the byte length of the
 * whole pending batch on every line (flattening the batch string each time), so a line costs more the fuller the
 * batch is. Here each line is encoded at once into one buffer kept for the process's life, and the batch is written
 * from it. Holding the batch as a string instead was about 0.1 µs a line cheaper (0.2 against 0.3 µs per 300-byte
 * line), but the pending lines were then the most of what survived each young-generation collection under load
 * (22 of 24 KB a scavenge on the manifest path): the collector copied them, and V8 sized its young generation by them
 * (docs/benchmarks.md).
 */
import { writeSync } from 'node:fs';

/** Takes whole lines (each ending in "\n"). pino writes to it as to any stream. */
export interface LineSink {
  write(line: string): void;
}

/**
 * A write(2) as node offers it (fs.writeSync): the bytes from an offset to their end; returns the bytes written,
 * which may be fewer (a pipe with less room than the batch).
 */
export type WriteFn = (fd: number, bytes: Uint8Array, offset: number) => number;

export interface BatchedOutputOptions {
  /** Pending bytes that trigger a write. @default 16384 */
  readonly batchBytes?: number;
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
 * Lines collected in memory and written to `fd` in batches of about `batchBytes`. The owner flushes the rest: at least
 * once a second (flushEvery) and before the process exits. A full pipe is waited for, up to about a second; any
 * other write error, or a longer stall, drops the batch (a broken log pipe must not fail or stall pulls) and is
 * reported once.
 */
export class BatchedOutput implements LineSink {
  /**
   * The batch's bytes. Four batches' room: a line of up to a batch's length in characters (at most three bytes each
   * in UTF-8) always fits behind a batch not yet full; a longer one is written alone.
   */
  private readonly batch: Buffer;
  private used = 0;
  private readonly batchBytes: number;
  private readonly writeFn: WriteFn;
  private readonly sleep: (ms: number) => void;
  private readonly onDrop: (err: Error) => void;
  private dropReported = false;

  constructor(
    private readonly fd: number,
    options: BatchedOutputOptions = {},
  ) {
    this.batchBytes = options.batchBytes ?? 16_384;
    this.batch = Buffer.allocUnsafeSlow(4 * this.batchBytes);
    this.writeFn = options.write ?? writeSync;
    this.sleep = options.sleep ?? sleepSync;
    this.onDrop = options.onDrop ?? warnOfDrops;
  }

  write(line: string): void {
    // The batch holds less than batchBytes here: short of a line longer than a batch, the room is there.
    if (3 * line.length > this.batch.length - this.used) {
      this.flush();
      this.writeOrDrop(Buffer.from(line, 'utf8'));
      return;
    }
    this.used += this.batch.write(line, this.used);
    if (this.used >= this.batchBytes) this.flush();
  }

  /** Writes whatever is pending, now. */
  flush(): void {
    if (this.used === 0) return;
    const bytes = this.batch.subarray(0, this.used);
    this.used = 0;
    this.writeOrDrop(bytes);
  }

  /** Flushes every `ms` without keeping the process alive; returns the function that stops it. */
  flushEvery(ms: number): () => void {
    const timer = setInterval(() => this.flush(), ms);
    timer.unref();
    return () => clearInterval(timer);
  }

  private writeOrDrop(bytes: Uint8Array): void {
    try {
      let written = 0;
      while (written < bytes.length) written += this.waitingWhileFull(() => this.writeFn(this.fd, bytes, written));
    } catch (err) {
      if (!this.dropReported) {
        this.dropReported = true;
        this.onDrop(err as Error);
      }
    }
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
