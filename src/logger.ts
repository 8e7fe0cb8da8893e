import { createHash } from 'node:crypto';
import { pino, type Logger } from 'pino';
import { currentRequestId } from './request-scope.js';

/**
 * Paths pino censors if a caller ever hands us an object carrying credentials. The library
 * itself never logs a token, a secret or an Authorization header; this is the second belt.
 */
export const REDACT_PATHS = [
  'token',
  'sessionToken',
  'session_token',
  'sessionJwt',
  'session_jwt',
  'secret',
  'authorization',
  'headers.authorization',
  'req.headers.authorization',
  '*.token',
  '*.secret',
  '*.authorization',
];

/** One log method as the library calls it: `(fields, message)` or `(message)`. */
export interface AuthLogFn {
  (fields: object, message?: string): void;
  (message: string): void;
}

/**
 * What the `logger` option needs: the methods the library calls. A pino `Logger`, a pino
 * `BaseLogger` with `child`, Fastify's `app.log` / `request.log` and pino-http's `req.log`
 * all fit without a cast. Lines carry the request id (`reqId`) only through a pino logger.
 */
export interface AuthLogger {
  child(bindings: Record<string, unknown>): AuthLogger;
  debug: AuthLogFn;
  info: AuthLogFn;
  warn: AuthLogFn;
  error: AuthLogFn;
  isLevelEnabled?(level: string): boolean;
  level?: string;
}

type LogFormatter = (fields: Record<string, unknown>) => Record<string, unknown>;

/** Adds `reqId` to a line written while a request's authentication runs; nothing otherwise. */
function withRequestId(next: LogFormatter | undefined): LogFormatter {
  return (fields) => {
    const formatted = next ? next(fields) : fields;
    const reqId = currentRequestId();
    return reqId === undefined ? formatted : { ...formatted, reqId };
  };
}

/** The parent's own line formatter when it is a pino logger (pino keeps it under a symbol). */
function pinoLogFormatter(logger: AuthLogger): { log?: LogFormatter } | undefined {
  const formatters = (logger as unknown as Record<symbol, unknown>)[pino.symbols.formattersSym];
  return typeof formatters === 'object' && formatters !== null ? (formatters as { log?: LogFormatter }) : undefined;
}

/**
 * The library's logger: a child `{ lib: 'ayz-auth' }` of the caller's logger, or a pino logger
 * of its own. Both add the current request id to each line through pino's `formatters.log`,
 * which pino runs on every line anyway (one AsyncLocalStorage read; no per-request child).
 */
export function createLibraryLogger(parent: AuthLogger | null, level: string): Logger {
  if (parent) {
    const formatters = pinoLogFormatter(parent);
    if (formatters !== undefined) {
      // A pino logger: its child keeps the parent's destination, level and serializers; the
      // child's formatter runs the parent's own first.
      const log = withRequestId(formatters.log);
      return (parent as unknown as Logger).child(
        { lib: 'ayz-auth' },
        { formatters: { log: (fields: object) => log(fields as Record<string, unknown>) } },
      );
    }
    // Another logger with the same methods: the library only calls those (`debug`, `info`,
    // `warn`, `error`, `child`, and `isLevelEnabled` when present), so it stands in for pino.
    return parent.child({ lib: 'ayz-auth' }) as unknown as Logger;
  }
  return pino({
    name: 'ayz-auth',
    level,
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    formatters: { log: withRequestId(undefined) },
  });
}

/** The only form in which a token may appear in a log line: 12 hex chars of its SHA-256. */
export function tokenFingerprint(token: string): string {
  return createHash('sha256').update(token).digest('hex').slice(0, 12);
}
