/**
 * Change streams of the loopback server (tier 3), answering the way a replica-set member
 * of MongoDB 7.0 does, so the official driver's `collection.watch()`, `db.watch()` and
 * `client.watch()` work against it unchanged.
 *
 * Every write the server applies is appended to a history (what the oplog is to a real
 * server): one entry per document inserted, updated, replaced or deleted, per collection
 * dropped, per database dropped, each with its own cluster time. A change stream is a
 * cursor over that history from a start point, filtered by its scope (one collection, one
 * database, the cluster), turned into change events and passed through the stages that
 * follow `$changeStream` in the pipeline.
 *
 * - `getMore` on a stream waits (awaitData) until an entry arrives or `maxTimeMS`
 *   (default 1 s, as on a server) passes, then answers an empty batch.
 * - Each event's `_id` is its resume token; every batch carries `postBatchResumeToken`.
 *   Tokens keep the real layout's head (`82` + the cluster time's 8 bytes) so a test can
 *   build "a token from before the history" the same way on a real server.
 * - `resumeAfter` / `startAfter` / `startAtOperationTime`; a point older than the kept
 *   history fails with ChangeStreamHistoryLost (286), a token of an event this server
 *   never produced with ChangeStreamFatalError (280).
 * - Dropping a watched collection gives `drop` then `invalidate` and closes the cursor;
 *   dropping a watched database gives `dropDatabase` then `invalidate`.
 * - `updateDescription` is a structural diff of the document before and after the write:
 *   sub-documents are compared field by field (`a.b`), arrays are reported whole, and
 *   `truncatedArrays` is always empty. A server derives it from the update operators, so
 *   `$set: {a: {…}}` of a whole sub-document is reported `a` there and `a.x` here.
 */
import { Long, Timestamp } from 'bson';
import { Aggregator } from 'mingo/aggregator';
import type { AnyObject } from 'mingo/types';
import { canonicalKey, cloneValue, type Doc, isPlainObject, toNumber } from './bson-values.js';
import { CommandError, err } from './errors.js';
import { mingoOptions } from './mingo-bson.js';

/** What one history entry records. */
export type HistoryKind = 'insert' | 'update' | 'replace' | 'delete' | 'drop' | 'dropDatabase';

interface ClusterTime {
  t: number;
  i: number;
}

interface HistoryEntry {
  seq: number;
  ts: ClusterTime;
  wallTime: Date;
  kind: HistoryKind;
  db: string;
  /** Absent for dropDatabase. */
  coll?: string;
  documentKey?: Doc;
  /** The stored document before an update (never mutated: the store replaces documents). */
  before?: Doc;
  /** The stored document after an insert, update or replace. */
  after?: Doc;
}

type Scope = { kind: 'collection'; db: string; coll: string } | { kind: 'database'; db: string } | { kind: 'cluster' };

type TokenKind = 'highWaterMark' | 'event' | 'invalidate';
const TOKEN_KIND_CODE: Record<TokenKind, string> = { highWaterMark: '00', event: '01', invalidate: '02' };

interface StreamCursor {
  id: number;
  ns: string;
  scope: Scope;
  stages: AnyObject[];
  variables: Doc | undefined;
  fullDocument: 'default' | 'updateLookup';
  /** Entries with a seq above this are still to be read. */
  position: number;
  /** Cluster time of `position`, for the high-water-mark token. */
  positionTs: ClusterTime;
  session: string | undefined;
  killed: boolean;
}

const DEFAULT_HISTORY_LIMIT = 50_000;
const DEFAULT_FIRST_BATCH = 101;
/** A server waits this long on an awaitData getMore that names no maxTimeMS. */
const DEFAULT_AWAIT_MS = 1_000;
/** The stages a server accepts after `$changeStream`: they work on one event at a time. */
const STAGES_AFTER_CHANGE_STREAM = new Set(['$match', '$project', '$addFields', '$set', '$unset', '$replaceRoot', '$replaceWith', '$redact']);
const KNOWN_OPTIONS = new Set([
  'fullDocument',
  'fullDocumentBeforeChange',
  'resumeAfter',
  'startAfter',
  'startAtOperationTime',
  'allChangesForCluster',
  'showExpandedEvents',
]);
const INTERNAL_DBS = new Set(['admin', 'config', 'local']);

const compareTs = (a: ClusterTime, b: ClusterTime): number => a.t - b.t || a.i - b.i;
const hex = (n: number, width: number): string => n.toString(16).toUpperCase().padStart(width, '0');

export interface ChangeStreamOptions {
  /** Finds a stored document for `fullDocument: 'updateLookup'`. */
  lookup: (db: string, coll: string, documentKey: Doc) => Doc | undefined;
  /** Entries kept at most (default 50 000); older ones fall off as from a capped oplog. */
  historyLimit?: number;
  /** Another registry's cursor ids, so ids are unique across the server. */
  idTaken?: (id: number) => boolean;
}

export class ChangeStreams {
  private readonly history: HistoryEntry[] = [];
  private readonly open = new Map<number, StreamCursor>();
  private readonly wakers = new Set<() => void>();
  /** Distinguishes this server's tokens from another instance's. */
  private readonly instance = hex(Math.floor(Math.random() * 0xffffffff), 8);
  private readonly historyLimit: number;
  private lastSeq = 0;
  private clock: ClusterTime = { t: 0, i: 0 };
  /** The oldest point one can resume from (the first oplog entry of a server). */
  private historyStart: ClusterTime;

  constructor(private readonly opts: ChangeStreamOptions) {
    this.historyLimit = opts.historyLimit ?? DEFAULT_HISTORY_LIMIT;
    this.historyStart = this.tick();
  }

  /** Open stream cursors (for tests of the server itself). */
  get size(): number {
    return this.open.size;
  }

  has(id: number): boolean {
    return this.open.has(id);
  }

  /** The latest cluster time given out, as a BSON Timestamp (replies' `operationTime`). */
  operationTime(): Timestamp {
    return new Timestamp({ t: this.clock.t, i: this.clock.i });
  }

  private tick(): ClusterTime {
    const now = Math.floor(Date.now() / 1000);
    this.clock = now > this.clock.t ? { t: now, i: 1 } : { t: this.clock.t, i: this.clock.i + 1 };
    return this.clock;
  }

  // ------------------------------------------------------------ recording writes

  record(kind: HistoryKind, db: string, coll: string | undefined, docs: { before?: Doc; after?: Doc } = {}): void {
    const doc = docs.after ?? docs.before;
    const entry: HistoryEntry = {
      seq: ++this.lastSeq,
      ts: this.tick(),
      wallTime: new Date(),
      kind,
      db,
      ...(coll !== undefined ? { coll } : {}),
      ...(doc !== undefined ? { documentKey: { _id: doc['_id'] } } : {}),
      ...(docs.before !== undefined ? { before: docs.before } : {}),
      ...(docs.after !== undefined ? { after: docs.after } : {}),
    };
    this.history.push(entry);
    if (this.history.length > this.historyLimit) {
      // A tenth at once, so a full history is not shifted on every write.
      this.history.splice(0, Math.max(1, Math.ceil(this.historyLimit / 10)));
      this.historyStart = (this.history[0] ?? entry).ts;
    }
    for (const wake of [...this.wakers]) wake();
  }

  /**
   * Forgets every entry so far, as when a server's oplog rolls over: resuming from any
   * earlier token then fails with ChangeStreamHistoryLost (286). For tests of "token lost".
   */
  truncateHistory(): void {
    this.history.length = 0;
    this.historyStart = this.tick();
  }

  // ------------------------------------------------------------ opening a stream

  /** `aggregate` whose first stage is `$changeStream`: the reply with the first batch. */
  aggregate(body: Doc, db: string, session: string | undefined): Doc {
    const pipeline = body['pipeline'] as unknown[];
    const spec = (pipeline[0] as Doc)['$changeStream'];
    if (!isPlainObject(spec)) throw err.typeMismatch("the $changeStream stage must be specified as an object, got a different type");
    for (const key of Object.keys(spec)) {
      if (!KNOWN_OPTIONS.has(key)) throw new CommandError(40415, 'Location40415', `BSON field '$changeStream.${key}' is an unknown field.`);
    }
    const stages = pipeline.slice(1) as AnyObject[];
    for (const stage of stages) {
      const name = isPlainObject(stage) ? (Object.keys(stage)[0] ?? '') : '';
      if (name === '$changeStream') throw new CommandError(40602, 'Location40602', '$changeStream is only valid as the first stage in a pipeline.');
      if (!STAGES_AFTER_CHANGE_STREAM.has(name)) throw err.illegalOperation(`${name} is not permitted in a $changeStream pipeline`);
    }

    const fullDocument = spec['fullDocument'] ?? 'default';
    if (fullDocument !== 'default' && fullDocument !== 'updateLookup') {
      if (fullDocument === 'whenAvailable' || fullDocument === 'required') throw err.notSupportedHere(`fullDocument: '${fullDocument}' (post-images)`);
      throw err.badValue(`'${String(fullDocument)}' is not a valid value for $changeStream.fullDocument`);
    }
    const before = spec['fullDocumentBeforeChange'];
    if (before !== undefined && before !== 'off') throw err.notSupportedHere(`fullDocumentBeforeChange: '${String(before)}' (pre-images)`);
    if (spec['showExpandedEvents'] === true) throw err.notSupportedHere('showExpandedEvents');

    const scope = this.scopeOf(body['aggregate'], db, spec['allChangesForCluster'] === true);
    const starts = (['resumeAfter', 'startAfter', 'startAtOperationTime'] as const).filter((k) => spec[k] !== undefined);
    if (starts.length > 1) throw new CommandError(40674, 'Location40674', 'Only one type of resume option is allowed, but multiple were found.');

    const start = this.startPoint(scope, starts[0], starts[0] ? spec[starts[0]] : undefined);
    const ns = scope.kind === 'collection' ? `${db}.${scope.coll}` : `${db}.$cmd.aggregate`;
    const cursor: StreamCursor = {
      id: this.newId(),
      ns,
      scope,
      stages,
      variables: isPlainObject(body['let']) ? body['let'] : undefined,
      fullDocument,
      position: start.position,
      positionTs: start.ts,
      session,
      killed: false,
    };
    const cursorOpt = body['cursor'] as Doc;
    const batchSize = cursorOpt['batchSize'] === undefined ? DEFAULT_FIRST_BATCH : toNumber(cursorOpt['batchSize']);
    const batch = batchSize === 0 ? { events: [], invalidated: false } : this.collect(cursor, batchSize);
    if (!batch.invalidated) this.open.set(cursor.id, cursor);
    return {
      cursor: {
        firstBatch: batch.events,
        postBatchResumeToken: this.postBatchResumeToken(cursor, batch.events),
        id: Long.fromNumber(batch.invalidated ? 0 : cursor.id),
        ns,
      },
      operationTime: this.operationTime(),
      ok: 1,
    };
  }

  private scopeOf(target: unknown, db: string, allChangesForCluster: boolean): Scope {
    if (allChangesForCluster) {
      if (db !== 'admin' || target !== 1) {
        throw err.invalidNamespace("A $changeStream with 'allChangesForCluster:true' may only be opened on the 'admin' database, and with no collection name");
      }
      return { kind: 'cluster' };
    }
    if (INTERNAL_DBS.has(db)) throw err.invalidNamespace(`$changeStream may not be opened on the internal ${db} database`);
    if (target === 1) return { kind: 'database', db };
    if (typeof target !== 'string' || target === '' || target.startsWith('system.') || target.includes('$')) {
      throw err.invalidNamespace(`Invalid namespace specified '${db}.${String(target)}'`);
    }
    return { kind: 'collection', db, coll: target };
  }

  /** The seq after which the stream reads, and its cluster time. */
  private startPoint(scope: Scope, how: 'resumeAfter' | 'startAfter' | 'startAtOperationTime' | undefined, value: unknown): { position: number; ts: ClusterTime } {
    if (how === undefined) return { position: this.lastSeq, ts: this.clock };
    if (how === 'startAtOperationTime') {
      if (!(value instanceof Timestamp)) throw err.typeMismatch("BSON field '$changeStream.startAtOperationTime' is the wrong type, expected type 'timestamp'");
      const at = { t: value.high, i: value.low };
      if (compareTs(at, this.historyStart) < 0) throw historyLost();
      const firstAtOrAfter = this.history.find((e) => compareTs(e.ts, at) >= 0);
      return { position: firstAtOrAfter ? firstAtOrAfter.seq - 1 : this.lastSeq, ts: at };
    }
    const token = this.parseToken(value, how);
    if (compareTs(token.ts, this.historyStart) < 0) throw historyLost();
    if (token.instance !== this.instance || token.seq > this.lastSeq) throw tokenNotFound(value);
    if (token.kind === 'highWaterMark') return { position: token.seq, ts: token.ts };
    const entry = this.history.find((e) => e.seq === token.seq);
    if (!entry || !this.visible(scope, entry)) throw tokenNotFound(value);
    if (token.kind === 'invalidate' && how === 'resumeAfter') {
      throw new CommandError(260, 'InvalidResumeToken', "Attempting to resume a change stream using 'resumeAfter' is not allowed from an invalidate notification.");
    }
    return { position: entry.seq, ts: entry.ts };
  }

  private parseToken(value: unknown, field: string): { ts: ClusterTime; kind: TokenKind | undefined; instance: string | undefined; seq: number } {
    const data = isPlainObject(value) ? value['_data'] : undefined;
    if (typeof data !== 'string') throw err.typeMismatch(`BSON field '$changeStream.${field}._data' is missing or not a string`);
    const head = /^82([0-9A-F]{8})([0-9A-F]{8})/.exec(data);
    if (!head) throw err.badValue(`KeyString format error: the ${field} token is not a resume token`);
    const ts = { t: Number.parseInt(head[1] as string, 16), i: Number.parseInt(head[2] as string, 16) };
    const ours = /^82[0-9A-F]{16}2B02(0[0-2])([0-9A-F]{8})([0-9A-F]{12})04$/.exec(data);
    if (!ours) return { ts, kind: undefined, instance: undefined, seq: Number.POSITIVE_INFINITY };
    const kind = (Object.keys(TOKEN_KIND_CODE) as TokenKind[]).find((k) => TOKEN_KIND_CODE[k] === ours[1]);
    return { ts, kind, instance: ours[2], seq: Number.parseInt(ours[3] as string, 16) };
  }

  private token(kind: TokenKind, seq: number, ts: ClusterTime): Doc {
    return { _data: `82${hex(ts.t, 8)}${hex(ts.i, 8)}2B02${TOKEN_KIND_CODE[kind]}${this.instance}${hex(seq, 12)}04` };
  }

  private newId(): number {
    for (;;) {
      const id = 1 + Math.floor(Math.random() * (Number.MAX_SAFE_INTEGER - 1));
      if (!this.open.has(id) && !this.opts.idTaken?.(id)) return id;
    }
  }

  // ------------------------------------------------------------ reading a stream

  private visible(scope: Scope, e: HistoryEntry): boolean {
    if (e.coll?.startsWith('system.')) return false;
    if (scope.kind === 'cluster') return !INTERNAL_DBS.has(e.db);
    if (e.db !== scope.db) return false;
    if (scope.kind === 'database') return true;
    return e.coll === scope.coll;
  }

  /** Reads entries past the cursor's position into at most `batchSize` events (an invalidate rides with its drop). */
  private collect(c: StreamCursor, batchSize: number | undefined): { events: Doc[]; invalidated: boolean } {
    const limit = batchSize === undefined || batchSize <= 0 ? Number.POSITIVE_INFINITY : batchSize;
    const events: Doc[] = [];
    let invalidated = false;
    const from = this.indexAfter(c.position);
    for (let k = from; k < this.history.length && events.length < limit && !invalidated; k++) {
      const e = this.history[k] as HistoryEntry;
      c.position = e.seq;
      c.positionTs = e.ts;
      if (!this.visible(c.scope, e)) continue;
      const invalidates = (c.scope.kind === 'collection' && e.kind === 'drop') || (c.scope.kind === 'database' && e.kind === 'dropDatabase');
      if (c.scope.kind === 'collection' && e.kind === 'dropDatabase') continue;
      const out = this.applyStages(c, this.event(c, e));
      if (out) events.push(out);
      if (invalidates) {
        const inv = this.applyStages(c, {
          _id: this.token('invalidate', e.seq, e.ts),
          operationType: 'invalidate',
          clusterTime: new Timestamp({ t: e.ts.t, i: e.ts.i }),
          wallTime: e.wallTime,
        });
        if (inv) events.push(inv);
        invalidated = true;
      }
    }
    if (invalidated) {
      c.killed = true;
      this.open.delete(c.id);
    }
    return { events, invalidated };
  }

  private indexAfter(seq: number): number {
    // The history is ordered by seq: binary search for the first entry above `seq`.
    let lo = 0;
    let hi = this.history.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((this.history[mid] as HistoryEntry).seq <= seq) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** The change event of an entry, with a server's field order. */
  private event(c: StreamCursor, e: HistoryEntry): Doc {
    const head: Doc = {
      _id: this.token('event', e.seq, e.ts),
      operationType: e.kind,
      clusterTime: new Timestamp({ t: e.ts.t, i: e.ts.i }),
      wallTime: e.wallTime,
    };
    const ns = e.coll === undefined ? { db: e.db } : { db: e.db, coll: e.coll };
    switch (e.kind) {
      case 'insert':
      case 'replace':
        return { ...head, fullDocument: cloneValue(e.after), ns, documentKey: cloneValue(e.documentKey) };
      case 'update': {
        const lookedUp = c.fullDocument === 'updateLookup' ? { fullDocument: cloneValue(this.opts.lookup(e.db, e.coll as string, e.documentKey as Doc) ?? null) } : {};
        return {
          ...head,
          ...lookedUp,
          ns,
          documentKey: cloneValue(e.documentKey),
          updateDescription: updateDescription(e.before as Doc, e.after as Doc),
        };
      }
      case 'delete':
        return { ...head, ns, documentKey: cloneValue(e.documentKey) };
      case 'drop':
      case 'dropDatabase':
        return { ...head, ns };
    }
  }

  private applyStages(c: StreamCursor, event: Doc): Doc | undefined {
    if (c.stages.length === 0) return event;
    const out = new Aggregator(c.stages, mingoOptions(() => [], c.variables)).run([event])[0] as Doc | undefined;
    if (out && canonicalKey(out['_id']) !== canonicalKey(event['_id'])) {
      throw new CommandError(
        280,
        'ChangeStreamFatalError',
        'Encountered an event whose _id field, which contains the resume token, was modified by the pipeline. Modifying the _id field of an event makes it impossible to resume the stream from that point. Only transformations that retain the unmodified _id field are allowed.',
      );
    }
    return out;
  }

  /** The last event's token when the batch ends on it, else the point the read reached. */
  private postBatchResumeToken(c: StreamCursor, events: Doc[]): Doc {
    const last = events[events.length - 1];
    if (last && isPlainObject(last['_id'])) {
      const lastToken = last['_id'] as Doc;
      const reached = this.token('event', c.position, c.positionTs);
      const invalidate = this.token('invalidate', c.position, c.positionTs);
      if (lastToken['_data'] === reached['_data'] || lastToken['_data'] === invalidate['_data']) return cloneValue(lastToken);
    }
    return this.token('highWaterMark', c.position, c.positionTs);
  }

  /**
   * `getMore` on a stream: answers at once when events are waiting, otherwise waits for
   * a write (or `maxTimeMS`) and answers then — possibly with an empty batch.
   */
  async getMore(id: number, ns: string, body: Doc, signal: AbortSignal | undefined): Promise<Doc> {
    const c = this.open.get(id);
    if (!c) throw err.cursorNotFound(id);
    if (c.ns !== ns) throw err.badValue(`Requested getMore on namespace '${ns}', but cursor belongs to a different namespace ${c.ns}`);
    const batchSize = body['batchSize'] === undefined ? undefined : toNumber(body['batchSize']);
    const awaitMs = body['maxTimeMS'] === undefined ? DEFAULT_AWAIT_MS : toNumber(body['maxTimeMS']);
    const deadline = Date.now() + awaitMs;
    for (;;) {
      if (c.killed) throw new CommandError(237, 'CursorKilled', `cursor id ${id} was killed`);
      const batch = this.collect(c, batchSize);
      const left = deadline - Date.now();
      if (batch.events.length > 0 || batch.invalidated || left <= 0) {
        return {
          cursor: {
            nextBatch: batch.events,
            postBatchResumeToken: this.postBatchResumeToken(c, batch.events),
            id: Long.fromNumber(batch.invalidated ? 0 : id),
            ns,
          },
          ok: 1,
        };
      }
      await this.nextWrite(left, signal);
    }
  }

  /** Resolves on the next recorded write, a kill, or after `ms`; rejects when the connection closes. */
  private nextWrite(ms: number, signal: AbortSignal | undefined): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const done = (): void => {
        clearTimeout(timer);
        this.wakers.delete(done);
        signal?.removeEventListener('abort', aborted);
        resolve();
      };
      const aborted = (): void => {
        done();
        reject(new Error('connection closed'));
      };
      const timer = setTimeout(done, ms);
      timer.unref();
      this.wakers.add(done);
      if (signal?.aborted) aborted();
      else signal?.addEventListener('abort', aborted, { once: true });
    });
  }

  // ------------------------------------------------------------ closing

  /** killCursors: the ids that were streams; waiting getMores answer CursorKilled. */
  kill(ids: number[]): Set<number> {
    const killed = new Set<number>();
    for (const id of ids) {
      const c = this.open.get(id);
      if (!c) continue;
      c.killed = true;
      this.open.delete(id);
      killed.add(id);
    }
    if (killed.size > 0) for (const wake of [...this.wakers]) wake();
    return killed;
  }

  killSessions(sessions: Set<string>): void {
    this.kill([...this.open.values()].filter((c) => c.session !== undefined && sessions.has(c.session)).map((c) => c.id));
  }

  clear(): void {
    this.kill([...this.open.keys()]);
  }
}

function historyLost(): CommandError {
  return new CommandError(286, 'ChangeStreamHistoryLost', 'Resume of change stream was not possible, as the resume point may no longer be in the oplog.');
}

function tokenNotFound(token: unknown): CommandError {
  const data = isPlainObject(token) ? String(token['_data']) : '';
  return new CommandError(280, 'ChangeStreamFatalError', `cannot resume stream; the resume token was not found. {_data: "${data}"}`);
}

/** `updateDescription` of an update event: what changed between the two versions. */
export function updateDescription(before: Doc, after: Doc): Doc {
  const updatedFields: Doc = {};
  const removedFields: string[] = [];
  const walk = (a: Doc, b: Doc, prefix: string): void => {
    for (const key of Object.keys(a)) if (!(key in b) && !(prefix === '' && key === '_id')) removedFields.push(prefix + key);
    for (const key of Object.keys(b)) {
      if (prefix === '' && key === '_id') continue;
      const was = a[key];
      const now = b[key];
      if (key in a && canonicalKey(was) === canonicalKey(now)) continue;
      if (key in a && isPlainObject(was) && isPlainObject(now)) walk(was, now, `${prefix}${key}.`);
      else updatedFields[prefix + key] = cloneValue(now);
    }
  };
  walk(before, after, '');
  return { updatedFields, removedFields, truncatedArrays: [] };
}
