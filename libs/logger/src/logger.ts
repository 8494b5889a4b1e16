import type { LoggerService } from '@nestjs/common';
import pino, { type Logger } from 'pino';

/**
 * Keys that could carry a raw identifier. They are censored wherever they appear in a log
 * object, as a last line of defence: code must never put them in a log in the first place.
 */
export const REDACTED_KEYS = ['clientId', 'client_id', 'name', 'names', 'givenName', 'familyName', 'dateOfBirth', 'dob', 'd', 'privateKey', 'authorization'];

/** json unless asked for pretty (LOG_FORMAT=pretty) or writing to a terminal with LOG_FORMAT unset. */
export function logFormat(env: NodeJS.ProcessEnv = process.env, isTTY = Boolean(process.stdout.isTTY)): 'json' | 'pretty' {
  if (env.LOG_FORMAT === 'json' || env.LOG_FORMAT === 'pretty') return env.LOG_FORMAT;
  return isTTY ? 'pretty' : 'json';
}

/**
 * The app's logger: JSON lines (files, CI, production), or in a terminal one readable coloured line
 * an event through pino's own prettifier. Redaction happens before either.
 */
export function createLogger(app: string, level = process.env.LOG_LEVEL ?? 'info', format = logFormat()): Logger {
  const options = {
    level,
    base: { app, pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
    messageKey: 'msg',
    redact: {
      paths: [...REDACTED_KEYS, ...REDACTED_KEYS.map((k) => `*.${k}`)],
      censor: '[redacted]',
    },
    formatters: { level: (label: string) => ({ level: label }) },
  } satisfies pino.LoggerOptions;
  if (format !== 'pretty') return pino(options);
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- only loaded for a terminal
  const pretty = require('pino-pretty') as typeof import('pino-pretty');
  return pino(options, pretty({ colorize: true, singleLine: true, translateTime: 'SYS:HH:MM:ss', ignore: 'pid,hostname,app', messageFormat: '{app} | {msg}', sync: true }));
}

/** Routes Nest's own framework logs through the same structured JSON logger. */
export class NestPinoLogger implements LoggerService {
  constructor(private readonly logger: Logger) {}
  log(message: unknown, context?: string) {
    this.logger.info({ context }, String(message));
  }
  error(message: unknown, trace?: string, context?: string) {
    this.logger.error({ context, trace }, String(message));
  }
  warn(message: unknown, context?: string) {
    this.logger.warn({ context }, String(message));
  }
  debug(message: unknown, context?: string) {
    this.logger.debug({ context }, String(message));
  }
  verbose(message: unknown, context?: string) {
    this.logger.trace({ context }, String(message));
  }
}

export const LOGGER = Symbol('LOGGER');
export type { Logger };
