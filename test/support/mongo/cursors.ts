/**
 * Server-side cursors: the results of find/aggregate/listIndexes/listCollections are
 * materialised once and handed out in batches (first batch, then getMore), like a server
 * that keeps a cursor open between round trips. Batches are capped by count and by size
 * (16 MiB, at least one document), cursor ids are int64 on the wire.
 */
import { BSON, Long } from 'bson';
import type { Doc } from './bson-values.js';
import { err } from './errors.js';

const MAX_BATCH_BYTES = 16 * 1024 * 1024;
const DEFAULT_FIRST_BATCH = 101;
/** A server times out idle cursors after 10 minutes (cursorTimeoutMillis). */
const IDLE_TIMEOUT_MS = 10 * 60 * 1000;

interface OpenCursor {
  id: number;
  ns: string;
  docs: Doc[];
  pos: number;
  session: string | undefined;
  lastUsed: number;
}

export class CursorRegistry {
  private readonly open = new Map<number, OpenCursor>();

  /** Size of the registry (for tests of the server itself). */
  get size(): number {
    return this.open.size;
  }

  has(id: number): boolean {
    return this.open.has(id);
  }

  private takeBatch(c: { docs: Doc[]; pos: number }, batchSize: number | undefined): Doc[] {
    const limit = batchSize === undefined || batchSize <= 0 ? Number.POSITIVE_INFINITY : batchSize;
    const out: Doc[] = [];
    let bytes = 0;
    while (c.pos < c.docs.length && out.length < limit) {
      const doc = c.docs[c.pos] as Doc;
      const size = BSON.calculateObjectSize(doc, { ignoreUndefined: true });
      if (out.length > 0 && bytes + size > MAX_BATCH_BYTES) break;
      out.push(doc);
      bytes += size;
      c.pos++;
    }
    return out;
  }

  private expire(now: number): void {
    for (const [id, c] of this.open) if (now - c.lastUsed > IDLE_TIMEOUT_MS) this.open.delete(id);
  }

  private newId(): number {
    for (;;) {
      const id = 1 + Math.floor(Math.random() * (Number.MAX_SAFE_INTEGER - 1));
      if (!this.open.has(id)) return id;
    }
  }

  /**
   * The `cursor` field of a find/aggregate reply. `batchSize` 0 returns an empty first
   * batch with the cursor left open; `singleBatch` closes it after the first batch.
   */
  create(ns: string, docs: Doc[], opts: { batchSize?: number; singleBatch?: boolean; session?: string } = {}): Doc {
    const now = Date.now();
    this.expire(now);
    const state = { docs, pos: 0 };
    const firstBatch = opts.batchSize === 0 ? [] : this.takeBatch(state, opts.batchSize ?? DEFAULT_FIRST_BATCH);
    let id = 0;
    if (state.pos < docs.length && !opts.singleBatch) {
      id = this.newId();
      this.open.set(id, { id, ns, docs, pos: state.pos, session: opts.session, lastUsed: now });
    }
    return { id: Long.fromNumber(id), ns, firstBatch };
  }

  getMore(id: number, ns: string, batchSize: number | undefined): Doc {
    const c = this.open.get(id);
    if (!c) throw err.cursorNotFound(id);
    if (c.ns !== ns) {
      throw err.badValue(`Requested getMore on namespace '${ns}', but cursor belongs to a different namespace ${c.ns}`);
    }
    c.lastUsed = Date.now();
    const nextBatch = this.takeBatch(c, batchSize);
    const done = c.pos >= c.docs.length;
    if (done) this.open.delete(id);
    return { id: Long.fromNumber(done ? 0 : id), ns, nextBatch };
  }

  kill(ids: number[]): { cursorsKilled: Long[]; cursorsNotFound: Long[] } {
    const cursorsKilled: Long[] = [];
    const cursorsNotFound: Long[] = [];
    for (const id of ids) (this.open.delete(id) ? cursorsKilled : cursorsNotFound).push(Long.fromNumber(id));
    return { cursorsKilled, cursorsNotFound };
  }

  /** endSessions kills the cursors the ended sessions own, as a server does. */
  killSessions(sessions: Set<string>): void {
    for (const [id, c] of this.open) if (c.session !== undefined && sessions.has(c.session)) this.open.delete(id);
  }

  clear(): void {
    this.open.clear();
  }
}
