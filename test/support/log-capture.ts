import { createHash } from 'node:crypto';
import { Writable } from 'node:stream';
import { pino, type Logger } from 'pino';
import { expect } from 'vitest';

export interface LogRecord {
  level: number;
  msg: string;
  [field: string]: unknown;
}

export interface CapturedLog {
  logger: Logger;
  records(): LogRecord[];
  text(): string;
  /** Records whose message contains `fragment`, at the given pino level name if any. */
  find(fragment: string, level?: 'debug' | 'info' | 'warn' | 'error'): LogRecord[];
  /**
   * Fails the test if any piece of these strings (any `SECRET_WINDOW`-character window, or
   * the whole string when shorter) appears anywhere in the captured output.
   */
  expectNoSecrets(...secrets: string[]): void;
  /**
   * Resolves when `count` records matching `find(fragment, level)` have been written (at once if
   * they already were): woken by each write, not by a timer. Rejects after `timeoutMs`, naming
   * what was awaited, so a line that never comes fails the test instead of hanging it.
   */
  waitFor(fragment: string, level?: 'debug' | 'info' | 'warn' | 'error', options?: { count?: number; timeoutMs?: number }): Promise<void>;
  clear(): void;
}

const LEVELS = { debug: 20, info: 30, warn: 40, error: 50 } as const;

/** A real pino logger writing JSON lines into memory, at debug so nothing escapes review. */
export function captureLogs(): CapturedLog {
  let chunks: string[] = [];
  const onWrite = new Set<() => void>();
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      chunks.push(chunk.toString('utf8'));
      for (const wake of [...onWrite]) wake();
      done();
    },
  });
  const logger = pino({ level: 'debug' }, stream);
  const text = () => chunks.join('');
  const records = () =>
    text()
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => JSON.parse(l) as LogRecord);
  const find: CapturedLog['find'] = (fragment, level) =>
    records().filter((r) => r.msg.includes(fragment) && (level === undefined || r.level === LEVELS[level]));
  return {
    logger,
    records,
    text,
    find,
    expectNoSecrets: (...secrets) => expectNoSecretIn('the logs', text(), secrets),
    waitFor: (fragment, level, { count = 1, timeoutMs = 10_000 } = {}) =>
      new Promise<void>((resolve, reject) => {
        const check = (): void => {
          if (find(fragment, level).length < count) return;
          clearTimeout(timer);
          onWrite.delete(check);
          resolve();
        };
        const timer = setTimeout(() => {
          onWrite.delete(check);
          reject(new Error(`no ${count} log line(s) containing '${fragment}'${level ? ` at ${level}` : ''} within ${timeoutMs} ms`));
        }, timeoutMs);
        onWrite.add(check);
        check();
      }),
    clear: () => {
      chunks = [];
    },
  };
}

/**
 * The length of the pieces looked for. A token must not appear whole, nor any piece of it: a
 * "fingerprint" that logged the token's first half, or all but its last character, must
 * fail. 16 base64url characters are 96 bits of the token, far more than any accidental
 * match between a token and a log line's other text.
 */
export const SECRET_WINDOW = 16;

export interface SecretHit {
  /** Index of the secret in the list given. */
  secret: number;
  /** Where the piece starts in the secret, and in the searched text. */
  offsetInSecret: number;
  offsetInText: number;
}

const jsonObjectSegment = (segment: string): boolean => {
  try {
    const value: unknown = JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'));
    return typeof value === 'object' && value !== null && !Array.isArray(value);
  } catch {
    return false;
  }
};

/**
 * Length of the part of `secret` that carries no secret: the protected header of a compact
 * JWS (`{"alg","kid","typ"}` and the like, base64url, up to and including the first dot).
 * It is the same in every token signed with a key, its `kid` is published in the JWKS, and
 * it is not what makes a token usable: the payload and signature are. Pieces lying wholly
 * inside it are not looked for; a piece reaching one character into the payload is.
 */
export function publicPrefixLength(secret: string): number {
  const parts = secret.split('.');
  if (parts.length !== 3 || !parts[0]!.startsWith('eyJ') || !jsonObjectSegment(parts[0]!)) return 0;
  return parts[0]!.length + 1;
}

/**
 * The first place in `text` holding a piece of one of `secrets`, or null. Every window of
 * `SECRET_WINDOW` characters of every secret goes into one map, and the text is scanned
 * once: linear in the text and the secrets, however many secrets there are.
 */
export function findSecretPiece(text: string, secrets: Iterable<string>): SecretHit | null {
  const windows = new Map<string, { secret: number; offset: number }>();
  let index = 0;
  for (const secret of secrets) {
    const i = index++;
    if (secret.length === 0) continue;
    if (secret.length < SECRET_WINDOW) {
      const at = text.indexOf(secret);
      if (at !== -1) return { secret: i, offsetInSecret: 0, offsetInText: at };
      continue;
    }
    const skip = publicPrefixLength(secret);
    for (let o = 0; o + SECRET_WINDOW <= secret.length; o++) {
      if (o + SECRET_WINDOW <= skip) continue;
      const w = secret.slice(o, o + SECRET_WINDOW);
      if (!windows.has(w)) windows.set(w, { secret: i, offset: o });
    }
  }
  if (windows.size === 0) return null;
  for (let t = 0; t + SECRET_WINDOW <= text.length; t++) {
    const hit = windows.get(text.slice(t, t + SECRET_WINDOW));
    if (hit) return { secret: hit.secret, offsetInSecret: hit.offset, offsetInText: t };
  }
  return null;
}

/**
 * Fails the test when `text` (log output, a response body, response headers) holds a piece
 * of a secret. The message says which secret (its index and a hash, never the secret) and
 * where, so the failure itself leaks nothing.
 */
export function expectNoSecretIn(where: string, text: string, secrets: Iterable<string>): void {
  const list = [...secrets];
  const hit = findSecretPiece(text, list);
  if (hit === null) return;
  const secret = list[hit.secret]!;
  const digest = createHash('sha256').update(secret).digest('hex').slice(0, 12);
  const line = text.slice(0, hit.offsetInText).split('\n').length;
  expect.fail(
    `${where}: characters ${hit.offsetInSecret}..${hit.offsetInSecret + Math.min(SECRET_WINDOW, secret.length)} of secret #${hit.secret} ` +
      `(sha256 ${digest}, ${secret.length} chars) appear at offset ${hit.offsetInText} (line ${line})`,
  );
}
