import { createHash } from 'node:crypto';
import { pino, type Logger } from 'pino';

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
 * all fit without a cast. Lines of a request's authentication carry its id (`reqId`) through `child`.
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

/**
 * The library's logger: a child `{ lib: 'ayz-auth' }` of the caller's logger (a pino child
 * keeps the parent's destination, level, formatters and serializers; another logger with the
 * same methods stands in for pino: the library only calls `debug`, `info`, `warn`, `error`
 * and `child`), or a pino logger of its own.
 */
export function createLibraryLogger(parent: AuthLogger | null, level: string): Logger {
  if (parent) return parent.child({ lib: 'ayz-auth' }) as unknown as Logger;
  return pino({ name: 'ayz-auth', level, redact: { paths: REDACT_PATHS, censor: '[redacted]' } });
}

/**
 * The logger of one request's authentication when it goes the slow way (I/O, so it may log):
 * a child bound to the framework's request id (`reqId`, as Fastify and pino-http name it), or
 * the library's logger when the adapter gave none. Passed down explicitly rather than through
 * an AsyncLocalStorage: on Node 20 one `AsyncLocalStorage.run` turns on async hooks for the
 * whole process, every route of the service included, for good (measured: about 1.7 µs more
 * per request on a bare Fastify route). The warm path logs nothing and makes none.
 */
export function requestLog(logger: Logger, requestId: string | number | undefined): Logger {
  return requestId === undefined ? logger : logger.child({ reqId: requestId });
}

/** The only form in which a token may appear in a log line: 12 hex chars of its SHA-256. */
export function tokenFingerprint(token: string): string {
  return createHash('sha256').update(token).digest('hex').slice(0, 12);
}
