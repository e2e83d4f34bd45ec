/**
 * What a run tells its operator: a progress bar (blobs, bytes, rate) on a TTY, structured JSON lines (pino) otherwise,
 * and a final summary. Also keeps the tally that decides the exit code. Every JSON line carries Cloud Logging's
 * `severity` and a `message` (lib/config/cloud-logging), so that log-based metrics and alerts can select on them.
 */
import { SingleBar } from 'cli-progress';
import pino, { type Logger } from 'pino';
import type { Writable } from 'node:stream';
import { cloudLoggingOptions } from '../config/cloud-logging';
import type { RetryInfo } from '../oci';
import { describeError } from './errors';

export type BlobOutcome = 'copied' | 'mounted' | 'skipped';
export type ManifestOutcome = 'copied' | 'skipped';
export type ImageOutcome = 'copied' | 'skipped' | 'failed';

export interface Tally {
  images: { copied: number; skipped: number; failed: number };
  manifests: { copied: number; skipped: number };
  blobs: { copied: number; mounted: number; skipped: number; failed: number };
  /** Bytes of blobs copied (each blob counted once per destination it was written to). */
  bytes: number;
}

export interface Summary extends Tally {
  /** False when anything failed, the start-up included: what log-based alerts select on. */
  readonly ok: boolean;
  /** Why the run could not start (then nothing was copied). */
  readonly error?: string;
  readonly seconds: number;
  readonly mebibytesPerSecond: number;
  readonly maxRssMiB: number;
}

/** An image a dry run would copy to a target (images in place are only counted, in the plan's total). */
export interface PlanLine {
  readonly repository: string;
  readonly digest: string;
  readonly tags: readonly string[];
  readonly target: string;
  readonly manifests: number;
  readonly blobs: number;
  readonly bytes: number;
}

export interface ReportOptions {
  /** Where JSON lines go. @default process.stdout */
  readonly output?: Writable;
  /** Draw a progress bar on this TTY stream instead of per-item log lines. */
  readonly tty?: NodeJS.WriteStream;
  /** Interval of the `progress` log lines (non-TTY). @default 5000 */
  readonly progressIntervalMs?: number;
}

const MiB = 1024 * 1024;

export class Report {
  readonly log: Logger;
  readonly tally: Tally = {
    images: { copied: 0, skipped: 0, failed: 0 },
    manifests: { copied: 0, skipped: 0 },
    blobs: { copied: 0, mounted: 0, skipped: 0, failed: 0 },
    bytes: 0,
  };
  private readonly startedAt = performance.now();
  private readonly bar: SingleBar | undefined;
  private readonly timer: NodeJS.Timeout;
  private plannedBlobs = 0;
  private plannedBytes = 0;
  private transferredBytes = 0;

  constructor(options: ReportOptions = {}) {
    this.log = pino(
      {
        base: undefined,
        timestamp: pino.stdTimeFunctions.isoTime,
        level: options.tty ? 'warn' : 'info',
        ...cloudLoggingOptions,
      },
      // Synchronous writes: the last lines (summary, failures) are out before the process exits.
      options.output ?? pino.destination({ dest: 1, sync: true }),
    );
    if (options.tty) {
      this.bar = new SingleBar({
        stream: options.tty,
        format: '{bar} {percentage}% | {done}/{blobs} blobs | {moved}/{planned} MiB | {rate} MiB/s',
        hideCursor: true,
      });
      this.bar.start(1, 0, this.barPayload());
    }
    this.timer = setInterval(() => this.tick(), this.bar ? 500 : (options.progressIntervalMs ?? 5000));
    this.timer.unref();
  }

  /** More blobs to do (the bar's totals grow as images are resolved). */
  planned(blobs: number, bytes: number): void {
    this.plannedBlobs += blobs;
    this.plannedBytes += bytes;
  }

  /** Bytes that just moved (live counter for the bar and the progress lines). */
  transferred(bytes: number): void {
    this.transferredBytes += bytes;
  }

  blob(outcome: BlobOutcome, digest: string, size: number, target: string): void {
    this.tally.blobs[outcome]++;
    if (outcome === 'copied') this.tally.bytes += size;
    this.log.info({ event: 'blob', outcome, digest, bytes: size, target }, `blob ${digest} ${outcome} (${target})`);
  }

  manifest(outcome: ManifestOutcome, digest: string, target: string): void {
    this.tally.manifests[outcome]++;
    this.log.info({ event: 'manifest', outcome, digest, target }, `manifest ${digest} ${outcome} (${target})`);
  }

  image(outcome: ImageOutcome, repository: string, digest: string, target: string, error?: unknown): void {
    this.tally.images[outcome]++;
    const text = `image ${repository}@${digest} ${outcome} (${target})`;
    if (outcome === 'failed') {
      const reason = describeError(error);
      this.log.error({ event: 'image', outcome, repository, digest, target, error: reason }, `${text}: ${reason}`);
    } else {
      this.log.info({ event: 'image', outcome, repository, digest, target }, text);
    }
  }

  blobFailed(digest: string, target: string, error: unknown): void {
    this.tally.blobs.failed++;
    const reason = describeError(error);
    this.log.error(
      { event: 'blob', outcome: 'failed', digest, target, error: reason },
      `blob ${digest} failed (${target}): ${reason}`,
    );
  }

  retry(info: RetryInfo): void {
    const reason = describeError(info.error);
    this.log.warn(
      { event: 'retry', retry: info.retry, delayMs: info.delayMs, error: reason },
      `retry ${info.retry} in ${Math.round(info.delayMs)} ms: ${reason}`,
    );
  }

  plan(line: PlanLine): void {
    this.emit(
      { event: 'plan-image', ...line },
      `plan: copy ${line.repository}@${line.digest} (${line.target}), ${line.blobs} blobs, ${line.bytes} bytes`,
    );
  }

  planTotals(totals: { images: number; skipped: number; manifests: number; blobs: number; bytes: number }): void {
    this.emit(
      { event: 'plan', ...totals },
      `plan: ${totals.images} images to copy (${totals.blobs} blobs, ${totals.bytes} bytes), ${totals.skipped} in place`,
    );
  }

  /**
   * Ends the bar, logs the summary and returns it. `startupFailure`: the run could not start; the summary then says
   * so (`ok: false`, its `error`), like a run whose items failed.
   */
  finish(startupFailure?: unknown): Summary {
    clearInterval(this.timer);
    if (this.bar) {
      this.tick();
      this.bar.stop();
    }
    const seconds = (performance.now() - this.startedAt) / 1000;
    const error = startupFailure === undefined ? undefined : describeError(startupFailure);
    const summary: Summary = {
      ...this.tally,
      ok: error === undefined && this.tally.images.failed === 0 && this.tally.blobs.failed === 0,
      ...(error === undefined ? {} : { error }),
      seconds: round(seconds),
      mebibytesPerSecond: round(this.tally.bytes / MiB / Math.max(seconds, 0.001)),
      maxRssMiB: round(process.resourceUsage().maxRSS / 1024),
    };
    this.emit({ event: 'summary', ...summary }, summaryMessage(summary), summary.ok ? 'info' : 'error');
    return summary;
  }

  /** Always shown: on a TTY as plain text, otherwise as a JSON line. */
  private emit(fields: Record<string, unknown>, message: string, level: 'info' | 'error' = 'info'): void {
    if (this.bar) process.stderr.write(`${JSON.stringify({ ...fields, message })}\n`);
    else this.log[level](fields, message);
  }

  private tick(): void {
    if (this.bar) {
      this.bar.setTotal(Math.max(1, this.plannedBytes));
      this.bar.update(Math.min(this.transferredBytes, Math.max(1, this.plannedBytes)), this.barPayload());
    } else {
      const fields = { blobsDone: this.blobsDone(), blobsPlanned: this.plannedBlobs, bytes: this.transferredBytes };
      this.log.info(
        { event: 'progress', ...fields },
        `progress: ${fields.blobsDone}/${fields.blobsPlanned} blobs, ${(fields.bytes / MiB).toFixed(0)} MiB`,
      );
    }
  }

  private blobsDone(): number {
    const { copied, mounted, skipped, failed } = this.tally.blobs;
    return copied + mounted + skipped + failed;
  }

  private barPayload() {
    const seconds = Math.max((performance.now() - this.startedAt) / 1000, 0.001);
    return {
      done: this.blobsDone(),
      blobs: this.plannedBlobs,
      moved: (this.transferredBytes / MiB).toFixed(0),
      planned: (this.plannedBytes / MiB).toFixed(0),
      rate: (this.transferredBytes / MiB / seconds).toFixed(1),
    };
  }
}

function summaryMessage(summary: Summary): string {
  if (summary.error !== undefined) return `replication could not start: ${summary.error}`;
  const { images, blobs } = summary;
  const counts = `${images.copied} images copied, ${images.skipped} in place, ${images.failed} failed; ${blobs.copied} blobs copied, ${blobs.failed} failed`;
  return summary.ok ? `replication finished: ${counts}` : `replication finished with failures: ${counts}`;
}

function round(value: number): number {
  return Math.round(value * 100) / 100;
}
