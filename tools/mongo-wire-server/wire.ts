/**
 * MongoDB wire protocol framing with `bson`.
 *
 * Requests: OP_MSG (2013) with a kind-0 body and kind-1 document sequences (the driver
 * sends `documents`/`updates`/`deletes` of large writes that way), and OP_QUERY (2004),
 * which the driver uses only for its first handshake on a connection (before it knows
 * the server speaks OP_MSG). Replies: OP_MSG, or OP_REPLY (1) to an OP_QUERY.
 * Compression is never negotiated (hello does not offer any), so OP_COMPRESSED never
 * arrives.
 */
import { BSON } from 'bson';
import type { Doc } from './bson-values.js';

export const OP_REPLY = 1;
export const OP_QUERY = 2004;
export const OP_MSG = 2013;

const CHECKSUM_PRESENT = 1 << 0;
const MORE_TO_COME = 1 << 1;

/**
 * How request documents are decoded: numbers become JS numbers (int32/int64/double), so
 * mingo can do arithmetic; every other BSON type keeps its bson class.
 */
const DESERIALIZE: BSON.DeserializeOptions = {
  promoteLongs: true,
  promoteValues: true,
  promoteBuffers: false,
  bsonRegExp: false,
};

export interface Request {
  requestId: number;
  opCode: number;
  /** The command document, with document sequences merged in as arrays. */
  body: Doc;
  /** Database the command runs against (`$db`, or the OP_QUERY namespace). */
  db: string;
  /** OP_MSG moreToCome: the client expects no reply (unacknowledged writes). */
  noReply: boolean;
}

export class ProtocolError extends Error {}

/** Splits a byte stream into whole messages, keeping any partial tail. */
export class MessageSplitter {
  private buffered: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): Buffer[] {
    this.buffered = this.buffered.length === 0 ? chunk : Buffer.concat([this.buffered, chunk]);
    const out: Buffer[] = [];
    while (this.buffered.length >= 4) {
      const size = this.buffered.readInt32LE(0);
      if (size < 16 || size > 48_000_000) throw new ProtocolError(`invalid message length ${size}`);
      if (this.buffered.length < size) break;
      out.push(this.buffered.subarray(0, size));
      this.buffered = this.buffered.subarray(size);
    }
    return out;
  }
}

function readCString(buf: Buffer, offset: number): [string, number] {
  const end = buf.indexOf(0, offset);
  if (end < 0) throw new ProtocolError('unterminated cstring');
  return [buf.toString('utf8', offset, end), end + 1];
}

function readDocument(buf: Buffer, offset: number): [Doc, number] {
  const size = buf.readInt32LE(offset);
  const doc = BSON.deserialize(buf.subarray(offset, offset + size), DESERIALIZE) as Doc;
  return [doc, offset + size];
}

export function parseMessage(msg: Buffer): Request {
  const requestId = msg.readInt32LE(4);
  const opCode = msg.readInt32LE(12);
  if (opCode === OP_MSG) {
    const flags = msg.readUInt32LE(16);
    const end = flags & CHECKSUM_PRESENT ? msg.length - 4 : msg.length;
    let offset = 20;
    let body: Doc | undefined;
    const sequences: Array<[string, Doc[]]> = [];
    while (offset < end) {
      const kind = msg.readUInt8(offset);
      offset += 1;
      if (kind === 0) {
        [body, offset] = readDocument(msg, offset);
      } else if (kind === 1) {
        const sectionEnd = offset + msg.readInt32LE(offset);
        const [identifier, first] = readCString(msg, offset + 4);
        const docs: Doc[] = [];
        for (let p = first; p < sectionEnd; ) {
          const [doc, next] = readDocument(msg, p);
          docs.push(doc);
          p = next;
        }
        sequences.push([identifier, docs]);
        offset = sectionEnd;
      } else {
        throw new ProtocolError(`unknown OP_MSG section kind ${kind}`);
      }
    }
    if (!body) throw new ProtocolError('OP_MSG without a body section');
    for (const [identifier, docs] of sequences) body[identifier] = docs;
    const db = typeof body['$db'] === 'string' ? body['$db'] : 'admin';
    return { requestId, opCode, body, db, noReply: (flags & MORE_TO_COME) !== 0 };
  }
  if (opCode === OP_QUERY) {
    const [ns, afterNs] = readCString(msg, 20);
    let [query] = readDocument(msg, afterNs + 8); // skip numberToSkip, numberToReturn
    // Legacy wrapping of a command with read preference: {$query: cmd, $readPreference}.
    if (query['$query'] && typeof query['$query'] === 'object') query = query['$query'] as Doc;
    const db = ns.endsWith('.$cmd') ? ns.slice(0, -'.$cmd'.length) : ns.split('.')[0] ?? 'admin';
    return { requestId, opCode, body: query, db, noReply: false };
  }
  throw new ProtocolError(`unsupported opCode ${opCode}`);
}

let nextResponseId = 1;

function header(length: number, responseTo: number, opCode: number): Buffer {
  const h = Buffer.alloc(16);
  h.writeInt32LE(length, 0);
  h.writeInt32LE(nextResponseId++ & 0x7fffffff, 4);
  h.writeInt32LE(responseTo, 8);
  h.writeInt32LE(opCode, 12);
  return h;
}

/** Serialises a reply; `undefined` fields are dropped, as a server never sends them. */
function serialize(doc: Doc): Buffer {
  return Buffer.from(BSON.serialize(doc, { ignoreUndefined: true }));
}

export function encodeReply(request: Pick<Request, 'requestId' | 'opCode'>, reply: Doc): Buffer {
  const body = serialize(reply);
  if (request.opCode === OP_QUERY) {
    // OP_REPLY: responseFlags, cursorID (int64), startingFrom, numberReturned, documents.
    const fixed = Buffer.alloc(20);
    fixed.writeInt32LE(0, 0);
    fixed.writeBigInt64LE(0n, 4);
    fixed.writeInt32LE(0, 12);
    fixed.writeInt32LE(1, 16);
    return Buffer.concat([header(16 + 20 + body.length, request.requestId, OP_REPLY), fixed, body]);
  }
  const flagsAndKind = Buffer.alloc(5); // flagBits 0, section kind 0
  return Buffer.concat([header(16 + 5 + body.length, request.requestId, OP_MSG), flagsAndKind, body]);
}
