/**
 * Log lines in the shape Cloud Logging reads as structured entries (https://cloud.google.com/logging/docs/structured-logging):
 * its `severity` beside pino's numeric `level`, and the line's text in `message`. Without `severity` every line of a
 * Cloud Run container is ingested as DEFAULT, so an alert on ERROR lines, or the Logs Explorer's severity filter, sees
 * nothing. Runtime-safe: the redirector and the replicator both build their pino loggers from it.
 */
import type { LoggerOptions } from 'pino';

/** Cloud Logging's LogSeverity for each pino level. */
export const SEVERITY: Readonly<Record<string, string>> = {
  trace: 'DEBUG',
  debug: 'DEBUG',
  info: 'INFO',
  warn: 'WARNING',
  error: 'ERROR',
  fatal: 'CRITICAL',
};

/** The field Cloud Logging shows as an entry's summary. */
export const MESSAGE_KEY = 'message';

/** pino options that make every line carry `severity` (and keep `level`) and put its text in `message`. */
export const cloudLoggingOptions = {
  messageKey: MESSAGE_KEY,
  formatters: {
    level: (label: string, level: number) => ({ level, severity: SEVERITY[label] ?? 'DEFAULT' }),
  },
} as const satisfies LoggerOptions;
