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
  /** Fails the test if any of these strings appears anywhere in the captured output. */
  expectNoSecrets(...secrets: string[]): void;
  clear(): void;
}

const LEVELS = { debug: 20, info: 30, warn: 40, error: 50 } as const;

/** A real pino logger writing JSON lines into memory, at debug so nothing escapes review. */
export function captureLogs(): CapturedLog {
  let chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      chunks.push(chunk.toString('utf8'));
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
  return {
    logger,
    records,
    text,
    find: (fragment, level) =>
      records().filter((r) => r.msg.includes(fragment) && (level === undefined || r.level === LEVELS[level])),
    expectNoSecrets: (...secrets) => {
      const all = text();
      for (const secret of secrets) {
        // A token must not appear whole, nor any long piece of it (e.g. its signature).
        expect(all.includes(secret), 'a token or secret appeared in the logs').toBe(false);
        const tail = secret.slice(-24);
        if (tail.length >= 16) expect(all.includes(tail), 'part of a token appeared in the logs').toBe(false);
      }
    },
    clear: () => {
      chunks = [];
    },
  };
}
