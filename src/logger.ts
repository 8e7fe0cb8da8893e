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

export function createLibraryLogger(parent: Logger | null, level: string): Logger {
  if (parent) return parent.child({ lib: 'ayz-auth' });
  return pino({ name: 'ayz-auth', level, redact: { paths: REDACT_PATHS, censor: '[redacted]' } });
}

/** The only form in which a token may appear in a log line: 12 hex chars of its SHA-256. */
export function tokenFingerprint(token: string): string {
  return createHash('sha256').update(token).digest('hex').slice(0, 12);
}
