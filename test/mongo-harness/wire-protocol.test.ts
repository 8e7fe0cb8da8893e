/**
 * The framing the driver does not always exercise, with hand-made messages on a raw
 * socket: the legacy OP_QUERY handshake, OP_MSG document sequences (kind 1), moreToCome
 * (no reply), and what happens to garbage.
 */
import net from 'node:net';
import { BSON, type Document } from 'bson';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LoopbackMongo, startLoopbackMongo } from '../../tools/mongo-wire-server/harness.js';

let mongo: LoopbackMongo;
beforeAll(async () => {
  mongo = await startLoopbackMongo();
});
afterAll(async () => {
  await mongo?.stop();
});

let requestId = 100;

function header(length: number, opCode: number, id: number): Buffer {
  const h = Buffer.alloc(16);
  h.writeInt32LE(length, 0);
  h.writeInt32LE(id, 4);
  h.writeInt32LE(0, 8);
  h.writeInt32LE(opCode, 12);
  return h;
}

function opMsg(body: Document, opts: { sequences?: Record<string, Document[]>; moreToCome?: boolean } = {}): { id: number; bytes: Buffer } {
  const id = requestId++;
  const parts: Buffer[] = [];
  const flags = Buffer.alloc(4);
  flags.writeUInt32LE(opts.moreToCome ? 2 : 0, 0);
  parts.push(flags, Buffer.from([0]), Buffer.from(BSON.serialize(body)));
  for (const [identifier, docs] of Object.entries(opts.sequences ?? {})) {
    const payload = Buffer.concat([Buffer.from(`${identifier}\0`), ...docs.map((d) => Buffer.from(BSON.serialize(d)))]);
    const size = Buffer.alloc(4);
    size.writeInt32LE(4 + payload.length, 0);
    parts.push(Buffer.from([1]), size, payload);
  }
  const rest = Buffer.concat(parts);
  return { id, bytes: Buffer.concat([header(16 + rest.length, 2013, id), rest]) };
}

function opQuery(ns: string, query: Document): { id: number; bytes: Buffer } {
  const id = requestId++;
  const fixed = Buffer.alloc(4);
  const skipReturn = Buffer.alloc(8);
  skipReturn.writeInt32LE(-1, 4);
  const rest = Buffer.concat([fixed, Buffer.from(`${ns}\0`), skipReturn, Buffer.from(BSON.serialize(query))]);
  return { id, bytes: Buffer.concat([header(16 + rest.length, 2004, id), rest]) };
}

interface Reply {
  responseTo: number;
  opCode: number;
  doc: Document;
}

/** A raw connection that collects parsed replies. */
async function connect(): Promise<{ socket: net.Socket; next(): Promise<Reply>; closed: Promise<void> }> {
  const socket = net.connect(mongo.port, '127.0.0.1');
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  let buffered = Buffer.alloc(0);
  const replies: Reply[] = [];
  const waiters: Array<(r: Reply) => void> = [];
  socket.on('data', (chunk: Buffer) => {
    buffered = Buffer.concat([buffered, chunk]);
    while (buffered.length >= 4 && buffered.length >= buffered.readInt32LE(0)) {
      const size = buffered.readInt32LE(0);
      const msg = buffered.subarray(0, size);
      buffered = buffered.subarray(size);
      const opCode = msg.readInt32LE(12);
      const docStart = opCode === 1 ? 36 : 21;
      const reply = { responseTo: msg.readInt32LE(8), opCode, doc: BSON.deserialize(msg.subarray(docStart)) };
      const w = waiters.shift();
      if (w) w(reply);
      else replies.push(reply);
    }
  });
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  return {
    socket,
    closed,
    next: () => {
      const r = replies.shift();
      return r ? Promise.resolve(r) : new Promise((resolve) => waiters.push(resolve));
    },
  };
}

describe('wire protocol', () => {
  it('answers a legacy OP_QUERY isMaster with an OP_REPLY', async () => {
    const c = await connect();
    const q = opQuery('admin.$cmd', { isMaster: 1, helloOk: true, client: { application: { name: 'raw' } } });
    c.socket.write(q.bytes);
    const reply = await c.next();
    expect(reply.opCode).toBe(1);
    expect(reply.responseTo).toBe(q.id);
    expect(reply.doc).toMatchObject({ ismaster: true, helloOk: true, maxWireVersion: 21, ok: 1 });
    c.socket.destroy();
  });

  it('merges kind-1 document sequences into the command', async () => {
    const c = await connect();
    const insert = opMsg({ insert: 'seq', $db: 'wire' }, { sequences: { documents: [{ _id: 1 }, { _id: 2 }] } });
    c.socket.write(insert.bytes);
    expect((await c.next()).doc).toMatchObject({ n: 2, ok: 1 });
    const find = opMsg({ find: 'seq', filter: {}, $db: 'wire' });
    c.socket.write(find.bytes);
    const reply = await c.next();
    expect(reply.responseTo).toBe(find.id);
    expect(reply.doc['cursor'].firstBatch).toEqual([{ _id: 1 }, { _id: 2 }]);
    c.socket.destroy();
  });

  it('does not reply to a moreToCome message (unacknowledged write), but performs it', async () => {
    const c = await connect();
    c.socket.write(opMsg({ insert: 'w0', documents: [{ _id: 'a' }], $db: 'wire' }, { moreToCome: true }).bytes);
    const count = opMsg({ count: 'w0', $db: 'wire' });
    c.socket.write(count.bytes);
    const reply = await c.next();
    expect(reply.responseTo).toBe(count.id);
    expect(reply.doc).toMatchObject({ n: 1, ok: 1 });
    c.socket.destroy();
  });

  it('splits messages that arrive in pieces and several per chunk', async () => {
    const c = await connect();
    const a = opMsg({ ping: 1, $db: 'admin' });
    const b = opMsg({ ping: 1, $db: 'admin' });
    const both = Buffer.concat([a.bytes, b.bytes]);
    c.socket.write(both.subarray(0, 7));
    c.socket.write(both.subarray(7, a.bytes.length + 3));
    c.socket.write(both.subarray(a.bytes.length + 3));
    expect((await c.next()).responseTo).toBe(a.id);
    expect((await c.next()).responseTo).toBe(b.id);
    c.socket.destroy();
  });

  it('closes the connection on an unknown opcode or a bad length', async () => {
    const c = await connect();
    c.socket.write(header(16, 9999, requestId++));
    await c.closed;
    const d = await connect();
    d.socket.write(Buffer.from([1, 0, 0, 0, 0, 0, 0, 0]));
    await d.closed;
  });
});
