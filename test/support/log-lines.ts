import { Writable } from 'node:stream';

/** One JSON line as pino writes it. */
export interface LogLine {
  msg?: string;
  reqId?: unknown;
  [field: string]: unknown;
}

/** A writable for a framework's pino logger that keeps every line it writes. */
export function lineSink(): { stream: Writable; lines: () => LogLine[] } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      chunks.push(chunk.toString('utf8'));
      done();
    },
  });
  const lines = () =>
    chunks
      .join('')
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => JSON.parse(l) as LogLine);
  return { stream, lines };
}
