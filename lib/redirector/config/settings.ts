/**
 * The redirector's scalar settings from the environment: listeners, proxy hops, existence checks, HTTP limits and
 * the log level. The schema's keys are the variable names, so every issue names its variable.
 */
import { isIP } from 'node:net';
import * as z from 'zod';
import { CONTAINER_PORT, PROJECT_ENV } from '../service-contract';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** A whole number in [min, max], `fallback` when unset or empty. */
function wholeNumber(min: number, max: number, fallback: number) {
  return z
    .string()
    .optional()
    .transform((text, ctx) => {
      if (text === undefined || text === '') return fallback;
      const value = Number(text);
      if (!/^\d+$/.test(text) || value < min || value > max) {
        ctx.addIssue({
          code: 'custom',
          message: `must be a whole number from ${min} to ${max} (got ${JSON.stringify(text)})`,
        });
        return z.NEVER;
      }
      return value;
    });
}

const ipAddress = (fallback: string) =>
  z
    .string()
    .optional()
    .transform((text, ctx) => {
      if (text === undefined || text === '') return fallback;
      if (isIP(text) === 0) {
        ctx.addIssue({ code: 'custom', message: `must be an IP address to bind to (got ${JSON.stringify(text)})` });
        return z.NEVER;
      }
      return text;
    });

/** 6-30 lowercase letters, digits and hyphens, from a letter, not ending in a hyphen; optionally `domain:` first. */
const GOOGLE_CLOUD_PROJECT_ID = /^(?:[a-z0-9.-]+:)?[a-z][a-z0-9-]{4,28}[a-z0-9]$/;

export const SettingsSchema = z.object({
  PORT: wholeNumber(0, 65535, CONTAINER_PORT),
  LISTEN_ADDRESS: ipAddress('0.0.0.0'),
  ADMIN_PORT: wholeNumber(0, 65535, 9090),
  ADMIN_ADDRESS: ipAddress('127.0.0.1'),
  TRUSTED_PROXY_HOPS: wholeNumber(0, 16, 1),
  HEAD_TIMEOUT_MS: wholeNumber(1, 60_000, 1000),
  EXISTENCE_CACHE_ENTRIES: wholeNumber(1, 10_000_000, 100_000),
  EXISTENCE_POSITIVE_TTL_SECONDS: wholeNumber(1, 7 * 24 * 3600, 600),
  EXISTENCE_NEGATIVE_TTL_SECONDS: wholeNumber(1, 24 * 3600, 60),
  BREAKER_FAILURE_THRESHOLD: wholeNumber(1, 1000, 1),
  BREAKER_COOLDOWN_SECONDS: wholeNumber(1, 3600, 30),
  BREAKER_PROBE_INTERVAL_MS: wholeNumber(100, 60_000, 1000),
  HEADERS_TIMEOUT_MS: wholeNumber(100, 120_000, 10_000),
  REQUEST_TIMEOUT_MS: wholeNumber(100, 600_000, 10_000),
  KEEP_ALIVE_TIMEOUT_MS: wholeNumber(100, 3_600_000, 65_000),
  MAX_HEADER_SIZE: wholeNumber(1024, 1_048_576, 16_384),
  SHUTDOWN_GRACE_MS: wholeNumber(0, 600_000, 5000),
  LOG_LEVEL: z
    .string()
    .optional()
    .transform((text, ctx) => {
      if (text === undefined || text === '') return 'info' as LogLevel;
      if (!(LOG_LEVELS as readonly string[]).includes(text)) {
        ctx.addIssue({
          code: 'custom',
          message: `must be one of ${LOG_LEVELS.join(', ')} (got ${JSON.stringify(text)})`,
        });
        return z.NEVER;
      }
      return text as LogLevel;
    }),
  /** The project of the load balancer's traces, for the trace field of the log lines (the GCP stack sets it). */
  [PROJECT_ENV]: z
    .string()
    .optional()
    .transform((text, ctx) => {
      if (text === undefined || text === '') return undefined;
      if (!GOOGLE_CLOUD_PROJECT_ID.test(text)) {
        ctx.addIssue({ code: 'custom', message: `must be a Google Cloud project id (got ${JSON.stringify(text)})` });
        return z.NEVER;
      }
      return text;
    }),
});

export type Settings = z.output<typeof SettingsSchema>;
