/**
 * A raw HTTP/1.1 client over TCP: it sends bytes that Node's own client refuses to send
 * (control characters, non-ASCII, invalid header lines) and parses whatever comes back.
 */
import { connect } from 'node:net';

export interface RawResponse {
  status: number;
  /** Last value per header name; `head` keeps every line, repeated headers included. */
  headers: Record<string, string>;
  /** The status line and header lines as received, for "no piece of the token comes back" checks. */
  head: string;
  body: string;
  json: any;
}

/** Sends `GET path` with the given raw header lines (bytes as given) and `Connection: close`. */
export function rawRequest(baseUrl: string, path: string, headerLines: Buffer[]): Promise<RawResponse> {
  const { hostname, port } = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname);
    const chunks: Buffer[] = [];
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('error', (e: NodeJS.ErrnoException) => {
      // A server may reset after answering; what it answered still counts.
      if (chunks.length > 0 && (e.code === 'ECONNRESET' || e.code === 'EPIPE')) return;
      reject(e);
    });
    socket.on('close', () => {
      const raw = Buffer.concat(chunks);
      if (raw.length === 0) {
        reject(new Error('connection closed without a response'));
        return;
      }
      resolve(parse(raw));
    });
    socket.setTimeout(10_000, () => socket.destroy(new Error('raw request timed out')));
    const head = Buffer.concat([
      Buffer.from(`GET ${path} HTTP/1.1\r\nHost: ${hostname}:${port}\r\nConnection: close\r\n`, 'latin1'),
      ...headerLines.flatMap((line) => [line, Buffer.from('\r\n', 'latin1')]),
      Buffer.from('\r\n', 'latin1'),
    ]);
    socket.write(head);
  });
}

function parse(raw: Buffer): RawResponse {
  const split = raw.indexOf('\r\n\r\n');
  const head = raw.subarray(0, split === -1 ? raw.length : split).toString('latin1');
  let body = split === -1 ? Buffer.alloc(0) : raw.subarray(split + 4);
  const [statusLine = '', ...lines] = head.split('\r\n');
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(statusLine)?.[1] ?? 0);
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  if (/chunked/i.test(headers['transfer-encoding'] ?? '')) body = dechunk(body);
  const text = body.toString('utf8');
  let json: unknown;
  try {
    json = /json/.test(headers['content-type'] ?? '') ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  return { status, headers, head, body: text, json };
}

function dechunk(body: Buffer): Buffer {
  const out: Buffer[] = [];
  let at = 0;
  while (at < body.length) {
    const eol = body.indexOf('\r\n', at);
    if (eol === -1) break;
    const size = parseInt(body.subarray(at, eol).toString('latin1'), 16);
    if (!Number.isFinite(size) || size === 0) break;
    out.push(body.subarray(eol + 2, eol + 2 + size));
    at = eol + 2 + size + 2;
  }
  return Buffer.concat(out);
}
