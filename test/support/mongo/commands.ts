/**
 * The database commands the loopback server understands, each answering the way a
 * standalone mongod 7.0 does (reply shapes, error codes). Every command runs
 * synchronously from start to end, so commands are atomic with respect to each other,
 * as single-document operations are on a server.
 *
 * Anything not listed answers `{ok: 0, code: 59, codeName: "CommandNotFound"}`. The one
 * exception to "synchronously" is `getMore` on a change stream, which waits for a write.
 */
import { Long } from 'bson';
import { Aggregator } from 'mingo/aggregator';
import { Query } from 'mingo/query';
import type { AnyObject } from 'mingo/types';
import {
  canonicalKey,
  cloneValue,
  compareValues,
  type Doc,
  isPlainObject,
  orderLike,
  sortDocuments,
  toNumber,
  valuesAtPath,
} from './bson-values.js';
import { ChangeStreams } from './change-streams.js';
import { CursorRegistry } from './cursors.js';
import { CommandError, err, toCommandError } from './errors.js';
import { isKnownStage, mingoOptions } from './mingo-bson.js';
import { type Collection, duplicateKeyError, type IndexSpec, indexKeys, Store, validateCollectionName, validateDbName, withId } from './store.js';
import { applyUpdate, seedFromQuery, updateKind } from './update.js';

/** What the server reports about itself (hello, buildInfo). */
export const SERVER_VERSION = '7.0.14';
export const MAX_WIRE_VERSION = 21; // MongoDB 7.0
const MAX_BSON_OBJECT_SIZE = 16 * 1024 * 1024;

export interface CommandContext {
  db: string;
  connectionId: number;
  port: number;
  /** Aborted when the client's connection closes (ends a waiting change-stream getMore). */
  signal?: AbortSignal;
}

export interface DispatcherOptions {
  /**
   * Change streams (default true). False answers `$changeStream` like a standalone
   * mongod does (40573), for tests of code that must cope with a server without them.
   */
  changeStreams?: boolean;
}

/** A `failCommand` fail point (configureFailPoint), as on a server run with test commands. */
export interface FailPoint {
  remaining: number;
  failCommands: Set<string>;
  errorCode?: number;
  errmsg?: string;
  closeConnection: boolean;
  blockTimeMS: number;
  appName?: string;
}

type Handler = (body: Doc, ctx: CommandContext) => Doc | Promise<Doc>;

/** Commands that are part of the connection protocol rather than database work. */
export const HANDSHAKE_COMMANDS = new Set(['hello', 'isMaster', 'ismaster']);

export class CommandDispatcher {
  readonly store = new Store();
  readonly cursors = new CursorRegistry();
  readonly changeStreams = new ChangeStreams({
    lookup: (db, coll, key) => this.store.get(db, coll)?.docs.find((d) => canonicalKey(d['_id']) === canonicalKey(key['_id'])),
    idTaken: (id) => this.cursors.has(id),
  });
  readonly changeStreamsEnabled: boolean;
  failPoint: FailPoint | undefined;
  private readonly handlers: Record<string, Handler>;

  constructor(opts: DispatcherOptions = {}) {
    this.changeStreamsEnabled = opts.changeStreams ?? true;
    const h: Record<string, Handler> = {
      hello: (b, c) => this.hello(b, c, false),
      isMaster: (b, c) => this.hello(b, c, true),
      ismaster: (b, c) => this.hello(b, c, true),
      ping: () => ({ ok: 1 }),
      buildInfo: () => this.buildInfo(),
      buildinfo: () => this.buildInfo(),
      getParameter: (b) => this.getParameter(b),
      getCmdLineOpts: (_b, c) => ({ argv: ['mongod', '--port', String(c.port)], parsed: { net: { port: c.port } }, ok: 1 }),
      endSessions: (b) => this.endSessions(b),
      killCursors: (b, c) => this.killCursors(b, c),
      find: (b, c) => this.find(b, c),
      getMore: (b, c) => this.getMore(b, c),
      aggregate: (b, c) => this.aggregate(b, c),
      count: (b, c) => this.count(b, c),
      distinct: (b, c) => this.distinct(b, c),
      insert: (b, c) => this.insert(b, c),
      update: (b, c) => this.update(b, c),
      delete: (b, c) => this.delete(b, c),
      findAndModify: (b, c) => this.findAndModify(b, c),
      findandmodify: (b, c) => this.findAndModify(b, c),
      createIndexes: (b, c) => this.createIndexes(b, c),
      listIndexes: (b, c) => this.listIndexes(b, c),
      dropIndexes: (b, c) => this.dropIndexes(b, c),
      deleteIndexes: (b, c) => this.dropIndexes(b, c),
      listCollections: (b, c) => this.listCollections(b, c),
      create: (b, c) => this.create(b, c),
      drop: (b, c) => this.drop(b, c),
      dropDatabase: (_b, c) => this.dropDatabase(c),
      listDatabases: (b) => this.listDatabases(b),
      configureFailPoint: (b) => this.configureFailPoint(b),
    };
    this.handlers = h;
  }

  /** Runs one command and returns its reply; errors become `{ok: 0, …}` replies. */
  execute(body: Doc, ctx: CommandContext): Doc | Promise<Doc> {
    const name = Object.keys(body)[0] ?? '';
    try {
      const handler = Object.prototype.hasOwnProperty.call(this.handlers, name) ? this.handlers[name] : undefined;
      if (!handler) throw err.commandNotFound(name);
      if (body['txnNumber'] !== undefined) {
        // A standalone mongod refuses transactions and retryable-write transaction numbers.
        throw err.illegalOperation('Transaction numbers are only allowed on a replica set member or mongos');
      }
      validateDbName(ctx.db);
      const reply = handler(body, ctx);
      return reply instanceof Promise ? reply.catch((e: unknown) => toCommandError(e).toReply()) : reply;
    } catch (e) {
      return toCommandError(e).toReply();
    }
  }

  // ------------------------------------------------------------ handshake & admin

  private hello(body: Doc, ctx: CommandContext, legacy: boolean): Doc {
    // No topologyVersion: the driver then polls instead of using the streaming protocol.
    return {
      ...(body['helloOk'] ? { helloOk: true } : {}),
      ...(legacy ? { ismaster: true } : { isWritablePrimary: true }),
      maxBsonObjectSize: MAX_BSON_OBJECT_SIZE,
      maxMessageSizeBytes: 48_000_000,
      maxWriteBatchSize: 100_000,
      localTime: new Date(),
      logicalSessionTimeoutMinutes: 30,
      connectionId: ctx.connectionId,
      minWireVersion: 0,
      maxWireVersion: MAX_WIRE_VERSION,
      readOnly: false,
      ok: 1,
    };
  }

  private buildInfo(): Doc {
    const [major, minor, patch] = SERVER_VERSION.split('.').map(Number);
    return {
      version: SERVER_VERSION,
      gitVersion: 'loopback-test-server',
      versionArray: [major, minor, patch, 0],
      bits: 64,
      debug: false,
      maxBsonObjectSize: MAX_BSON_OBJECT_SIZE,
      storageEngines: ['loopback'],
      javascriptEngine: 'none',
      modules: [],
      ok: 1,
    };
  }

  private getParameter(body: Doc): Doc {
    const out: Doc = {};
    if (body['featureCompatibilityVersion'] !== undefined || body['getParameter'] === '*') {
      out['featureCompatibilityVersion'] = { version: SERVER_VERSION.split('.').slice(0, 2).join('.') };
    }
    if (Object.keys(out).length === 0) throw err.invalidOptions('no option found to get');
    return { ...out, ok: 1 };
  }

  private endSessions(body: Doc): Doc {
    const ids = Array.isArray(body['endSessions']) ? body['endSessions'] : [];
    const sessions = new Set(ids.map((s) => canonicalKey(isPlainObject(s) ? s['id'] : s)));
    this.cursors.killSessions(sessions);
    this.changeStreams.killSessions(sessions);
    return { ok: 1 };
  }

  private configureFailPoint(body: Doc): Doc {
    if (body['configureFailPoint'] !== 'failCommand') throw err.badValue(`Cannot find failpoint ${String(body['configureFailPoint'])}`);
    const mode = body['mode'];
    const data = isPlainObject(body['data']) ? body['data'] : {};
    if (mode === 'off') {
      this.failPoint = undefined;
      return { count: 0, ok: 1 };
    }
    const remaining =
      mode === 'alwaysOn' ? Number.POSITIVE_INFINITY : isPlainObject(mode) && typeof mode['times'] === 'number' ? mode['times'] : NaN;
    if (Number.isNaN(remaining)) throw err.badValue('unsupported fail point mode');
    const failCommands = Array.isArray(data['failCommands']) ? data['failCommands'].map(String) : [];
    this.failPoint = {
      remaining,
      failCommands: new Set(failCommands),
      ...(typeof data['errorCode'] === 'number' ? { errorCode: data['errorCode'] } : {}),
      ...(typeof data['errmsg'] === 'string' ? { errmsg: data['errmsg'] } : {}),
      closeConnection: data['closeConnection'] === true,
      blockTimeMS: data['blockConnection'] === true && typeof data['blockTimeMS'] === 'number' ? data['blockTimeMS'] : 0,
      ...(typeof data['appName'] === 'string' ? { appName: data['appName'] } : {}),
    };
    return { count: 0, ok: 1 };
  }

  /** The fail point's action for this command, consuming one of its `times`. */
  takeFailPoint(command: string, appName: string | undefined): FailPoint | undefined {
    const fp = this.failPoint;
    if (!fp || fp.remaining <= 0 || !fp.failCommands.has(command)) return undefined;
    if (fp.appName !== undefined && fp.appName !== appName) return undefined;
    fp.remaining -= 1;
    if (fp.remaining <= 0) this.failPoint = undefined;
    return fp;
  }

  // ------------------------------------------------------------ helpers

  private recordChange(...args: Parameters<ChangeStreams['record']>): void {
    if (this.changeStreamsEnabled) this.changeStreams.record(...args);
  }

  private collName(body: Doc, ctx: CommandContext, field: string): string {
    return validateCollectionName(ctx.db, body[field]);
  }

  private options(ctx: CommandContext, variables?: unknown) {
    if (variables !== undefined && !isPlainObject(variables)) throw err.typeMismatch("BSON field 'let' is the wrong type, expected type 'object'");
    return mingoOptions(this.store.resolver(ctx.db), variables as Doc | undefined);
  }

  private filterOf(value: unknown, field: string): Doc {
    if (value === undefined || value === null) return {};
    if (!isPlainObject(value)) throw err.typeMismatch(`BSON field '${field}' is the wrong type, expected type 'object'`);
    return value;
  }

  private matching(coll: Collection | undefined, filter: Doc, ctx: CommandContext, variables?: unknown): Doc[] {
    const q = new Query(filter, this.options(ctx, variables));
    return coll ? coll.docs.filter((d) => q.test(d)) : [];
  }

  private checkHint(coll: Collection | undefined, hint: unknown): void {
    if (hint === undefined || hint === null || coll === undefined) return;
    if (isPlainObject(hint) && ('$natural' in hint || Object.keys(hint).length === 0)) return;
    if (!coll.findIndex(hint)) {
      throw err.badValue('planner returned error :: caused by :: hint provided does not correspond to an existing index');
    }
  }

  /**
   * Collation changes which documents match and how they sort; ignoring it would let a
   * test pass here and fail on a server, so it is refused.
   */
  private refuseCollation(spec: Doc): void {
    if (spec['collation'] !== undefined) throw err.notSupportedHere('collation');
  }

  private sessionOf(body: Doc): string | undefined {
    const lsid = body['lsid'];
    return isPlainObject(lsid) ? canonicalKey(lsid['id']) : undefined;
  }

  private batchSizeOf(cursorOpt: unknown, field = 'batchSize'): number | undefined {
    const v = isPlainObject(cursorOpt) ? cursorOpt[field] : cursorOpt;
    if (v === undefined || v === null) return undefined;
    const n = toNumber(v);
    if (!Number.isFinite(n) || n < 0) throw err.badValue(`BSON field 'batchSize' value must be >= 0, actual value '${String(v)}'`);
    return n;
  }

  // ------------------------------------------------------------ reads

  private find(body: Doc, ctx: CommandContext): Doc {
    const name = this.collName(body, ctx, 'find');
    const coll = this.store.get(ctx.db, name);
    this.refuseCollation(body);
    const filter = this.filterOf(body['filter'], 'filter');
    this.checkHint(coll, body['hint']);
    const opts = this.options(ctx, body['let']);
    let docs = this.matching(coll, filter, ctx, body['let']);

    const sort = body['sort'];
    if (isPlainObject(sort) && Object.keys(sort).length > 0) {
      if ('$natural' in sort) {
        if (sort['$natural'] === -1) docs = docs.slice().reverse();
      } else {
        docs = sortDocuments(docs, sort);
      }
    }
    const skip = body['skip'] === undefined ? 0 : toNumber(body['skip']);
    if (skip < 0) throw err.badValue(`BSON field 'skip' value must be >= 0, actual value '${skip}'`);
    let limit = body['limit'] === undefined ? 0 : toNumber(body['limit']);
    let singleBatch = body['singleBatch'] === true;
    if (limit < 0) {
      limit = -limit;
      singleBatch = true;
    }
    docs = docs.slice(skip, limit > 0 ? skip + limit : undefined).map(cloneValue);

    const projection = body['projection'];
    if (isPlainObject(projection) && Object.keys(projection).length > 0) {
      const input = docs;
      docs = (new Query(filter, opts).find(input, projection).all() as Doc[]).map((d, i) => orderLike(d, input[i]) as Doc);
    }
    const cursor = this.cursors.create(`${ctx.db}.${name}`, docs, {
      batchSize: this.batchSizeOf(body['batchSize']),
      singleBatch,
      session: this.sessionOf(body),
    });
    return { cursor, ok: 1 };
  }

  private getMore(body: Doc, ctx: CommandContext): Doc | Promise<Doc> {
    const id = toNumber(body['getMore']);
    if (!Number.isSafeInteger(id)) throw err.typeMismatch("BSON field 'getMore' is the wrong type, expected type 'long'");
    // Not validated as a collection name: cursors of listCollections and `aggregate: 1`
    // live on `$cmd.listCollections` / `$cmd.aggregate`.
    const name = body['collection'];
    if (typeof name !== 'string' || name === '') throw err.typeMismatch("BSON field 'getMore.collection' is the wrong type, expected type 'string'");
    if (this.changeStreams.has(id)) return this.changeStreams.getMore(id, `${ctx.db}.${name}`, body, ctx.signal);
    const cursor = this.cursors.getMore(id, `${ctx.db}.${name}`, this.batchSizeOf(body['batchSize']));
    return { cursor, ok: 1 };
  }

  private killCursors(body: Doc, ctx: CommandContext): Doc {
    // Like getMore: cursors of `aggregate: 1` (db.watch()) live on `$cmd.aggregate`.
    if (typeof body['killCursors'] !== 'string' || body['killCursors'] === '') {
      throw err.typeMismatch("BSON field 'killCursors' is the wrong type, expected type 'string'");
    }
    const ids = Array.isArray(body['cursors']) ? body['cursors'].map(toNumber) : [];
    const streams = this.changeStreams.kill(ids);
    const { cursorsKilled, cursorsNotFound } = this.cursors.kill(ids.filter((id) => !streams.has(id)));
    cursorsKilled.push(...[...streams].map((id) => Long.fromNumber(id)));
    return { cursorsKilled, cursorsNotFound, cursorsAlive: [], cursorsUnknown: [], ok: 1 };
  }

  private aggregate(body: Doc, ctx: CommandContext): Doc {
    const target = body['aggregate'];
    const pipeline = body['pipeline'];
    if (!Array.isArray(pipeline)) throw err.typeMismatch("'pipeline' option must be specified as an array");
    if (body['explain']) throw err.notSupportedHere('explain');
    if (!isPlainObject(body['cursor'])) {
      throw err.failedToParse("The 'cursor' option is required, except for aggregate with the explain argument");
    }
    this.refuseCollation(body);
    if (isPlainObject(pipeline[0]) && '$changeStream' in pipeline[0]) {
      if (!this.changeStreamsEnabled) throw new CommandError(40573, 'Location40573', 'The $changeStream stage is only supported on replica sets');
      return this.changeStreams.aggregate(body, ctx.db, this.sessionOf(body));
    }
    for (const stage of pipeline) this.validateStage(stage);

    let input: Doc[];
    let ns: string;
    if (target === 1) {
      const first = pipeline[0] as Doc | undefined;
      if (!first || !('$documents' in first)) {
        throw err.invalidNamespace(`{aggregate: 1} is not valid for '${Object.keys(first ?? {})[0] ?? ''}'; a collection is required.`);
      }
      input = [];
      ns = `${ctx.db}.$cmd.aggregate`;
    } else {
      const name = this.collName(body, ctx, 'aggregate');
      const coll = this.store.get(ctx.db, name);
      this.checkHint(coll, body['hint']);
      input = coll ? coll.snapshot() : [];
      ns = `${ctx.db}.${name}`;
    }
    const docs = new Aggregator(pipeline as AnyObject[], this.options(ctx, body['let'])).run(input) as Doc[];
    const cursor = this.cursors.create(ns, docs, {
      batchSize: this.batchSizeOf(body['cursor']),
      session: this.sessionOf(body),
    });
    return { cursor, ok: 1 };
  }

  private validateStage(stage: unknown): void {
    if (!isPlainObject(stage) || Object.keys(stage).length !== 1) {
      throw new CommandError(40323, 'Location40323', 'A pipeline stage specification object must contain exactly one field.');
    }
    const name = Object.keys(stage)[0] as string;
    if (name === '$changeStream') throw new CommandError(40602, 'Location40602', '$changeStream is only valid as the first stage in a pipeline.');
    if (!isKnownStage(name)) throw err.unrecognizedStage(name);
  }

  private count(body: Doc, ctx: CommandContext): Doc {
    const name = this.collName(body, ctx, 'count');
    const coll = this.store.get(ctx.db, name);
    this.checkHint(coll, body['hint']);
    this.refuseCollation(body);
    const all = this.matching(coll, this.filterOf(body['query'], 'query'), ctx);
    const skip = body['skip'] === undefined ? 0 : toNumber(body['skip']);
    const limit = body['limit'] === undefined ? 0 : Math.abs(toNumber(body['limit']));
    const n = Math.max(0, all.length - skip);
    return { n: limit > 0 ? Math.min(n, limit) : n, ok: 1 };
  }

  private distinct(body: Doc, ctx: CommandContext): Doc {
    const name = this.collName(body, ctx, 'distinct');
    const key = body['key'];
    if (typeof key !== 'string') throw err.typeMismatch("BSON field 'key' is the wrong type, expected type 'string'");
    this.refuseCollation(body);
    const docs = this.matching(this.store.get(ctx.db, name), this.filterOf(body['query'], 'query'), ctx);
    const seen = new Map<string, unknown>();
    for (const d of docs) {
      for (const v of valuesAtPath(d, key).values) {
        const k = canonicalKey(v);
        if (!seen.has(k)) seen.set(k, cloneValue(v));
      }
    }
    return { values: [...seen.values()].sort(compareValues), ok: 1 };
  }

  // ------------------------------------------------------------ writes

  private writeError(index: number, e: unknown): Doc {
    const ce = toCommandError(e);
    return { index, code: ce.code, errmsg: ce.message, ...ce.extra };
  }

  private statements(body: Doc, field: string): Doc[] {
    const s = body[field];
    if (!Array.isArray(s)) throw err.typeMismatch(`BSON field '${field}' is the wrong type, expected type 'array'`);
    return s as Doc[];
  }

  private insert(body: Doc, ctx: CommandContext): Doc {
    const name = this.collName(body, ctx, 'insert');
    const documents = this.statements(body, 'documents');
    const ordered = body['ordered'] !== false;
    const writeErrors: Doc[] = [];
    let n = 0;
    for (let i = 0; i < documents.length; i++) {
      try {
        const raw = documents[i];
        if (!isPlainObject(raw)) throw err.typeMismatch('document to insert must be an object');
        const doc = withId(cloneValue(raw));
        this.store.getOrCreate(ctx.db, name).coll.insert(doc);
        this.recordChange('insert', ctx.db, name, { after: doc });
        n++;
      } catch (e) {
        writeErrors.push(this.writeError(i, e));
        if (ordered) break;
      }
    }
    return { n, ...(writeErrors.length ? { writeErrors } : {}), ok: 1 };
  }

  private update(body: Doc, ctx: CommandContext): Doc {
    const name = this.collName(body, ctx, 'update');
    const updates = this.statements(body, 'updates');
    const ordered = body['ordered'] !== false;
    const writeErrors: Doc[] = [];
    const upserted: Doc[] = [];
    let n = 0;
    let nModified = 0;
    for (let i = 0; i < updates.length; i++) {
      const stmt = updates[i] as Doc;
      try {
        this.refuseCollation(stmt);
        const q = this.filterOf(stmt['q'], 'q');
        const u = stmt['u'];
        const multi = stmt['multi'] === true;
        if (multi && updateKind(u) === 'replacement') throw err.failedToParse('multi update is not supported for replacement-style update');
        const variables = { ...(isPlainObject(body['let']) ? body['let'] : {}), ...(isPlainObject(stmt['c']) ? stmt['c'] : {}) };
        const mingo = this.options(ctx, variables);
        const arrayFilters = Array.isArray(stmt['arrayFilters']) ? (stmt['arrayFilters'] as Doc[]) : undefined;
        const coll = this.store.get(ctx.db, name);
        this.checkHint(coll, stmt['hint']);
        let matched = this.matching(coll, q, ctx, variables);
        if (!multi) matched = matched.slice(0, 1);
        if (matched.length === 0 && stmt['upsert'] === true) {
          const target = this.store.getOrCreate(ctx.db, name).coll;
          const doc = withId(applyUpdate(seedFromQuery(q), u, { query: q, arrayFilters, isInsert: true, mingo }));
          target.insert(doc);
          this.recordChange('insert', ctx.db, name, { after: doc });
          n += 1;
          upserted.push({ index: i, _id: doc['_id'] });
          continue;
        }
        for (const doc of matched) {
          const next = applyUpdate(doc, u, { query: q, arrayFilters, isInsert: false, mingo });
          n += 1;
          if (canonicalKey(next) !== canonicalKey(doc)) {
            (coll as Collection).replace(doc, next);
            this.recordChange(updateKind(u) === 'replacement' ? 'replace' : 'update', ctx.db, name, { before: doc, after: next });
            nModified += 1;
          }
        }
      } catch (e) {
        writeErrors.push(this.writeError(i, e));
        if (ordered) break;
      }
    }
    return {
      n,
      nModified,
      ...(upserted.length ? { upserted } : {}),
      ...(writeErrors.length ? { writeErrors } : {}),
      ok: 1,
    };
  }

  private delete(body: Doc, ctx: CommandContext): Doc {
    const name = this.collName(body, ctx, 'delete');
    const deletes = this.statements(body, 'deletes');
    const ordered = body['ordered'] !== false;
    const writeErrors: Doc[] = [];
    let n = 0;
    for (let i = 0; i < deletes.length; i++) {
      const stmt = deletes[i] as Doc;
      try {
        this.refuseCollation(stmt);
        const limit = toNumber(stmt['limit'] ?? 0);
        if (limit !== 0 && limit !== 1) throw err.failedToParse(`The limit field in delete objects must be 0 or 1. Got ${limit}`);
        const coll = this.store.get(ctx.db, name);
        this.checkHint(coll, stmt['hint']);
        let matched = this.matching(coll, this.filterOf(stmt['q'], 'q'), ctx, body['let']);
        if (limit === 1) matched = matched.slice(0, 1);
        for (const d of matched) {
          coll?.remove(d);
          this.recordChange('delete', ctx.db, name, { before: d });
        }
        n += matched.length;
      } catch (e) {
        writeErrors.push(this.writeError(i, e));
        if (ordered) break;
      }
    }
    return { n, ...(writeErrors.length ? { writeErrors } : {}), ok: 1 };
  }

  private findAndModify(body: Doc, ctx: CommandContext): Doc {
    const name = validateCollectionName(ctx.db, body['findAndModify'] ?? body['findandmodify']);
    this.refuseCollation(body);
    const query = this.filterOf(body['query'], 'query');
    const remove = body['remove'] === true;
    const update = body['update'];
    const upsert = body['upsert'] === true;
    const returnNew = body['new'] === true;
    if (remove && update !== undefined) throw err.failedToParse('Cannot specify both an update and remove=true');
    if (!remove && update === undefined) throw err.failedToParse('Either an update or remove=true must be specified');
    if (remove && upsert) throw err.failedToParse('Cannot specify both upsert=true and remove=true');
    if (remove && returnNew) throw err.failedToParse('Cannot specify both new=true and remove=true; \'remove\' always returns the deleted document');

    const mingo = this.options(ctx, body['let']);
    const fields = body['fields'];
    const project = (doc: Doc | undefined): Doc | null => {
      if (!doc) return null;
      const copy = cloneValue(doc);
      if (!isPlainObject(fields) || Object.keys(fields).length === 0) return copy;
      const projected = new Query(query, mingo).find([copy], fields).all()[0] as Doc | undefined;
      return projected ? (orderLike(projected, copy) as Doc) : null;
    };
    const coll = this.store.get(ctx.db, name);
    this.checkHint(coll, body['hint']);
    let candidates = this.matching(coll, query, ctx, body['let']);
    if (isPlainObject(body['sort']) && Object.keys(body['sort']).length > 0) candidates = sortDocuments(candidates, body['sort']);
    const target = candidates[0];
    const arrayFilters = Array.isArray(body['arrayFilters']) ? (body['arrayFilters'] as Doc[]) : undefined;

    if (remove) {
      if (target && coll) {
        coll.remove(target);
        this.recordChange('delete', ctx.db, name, { before: target });
      }
      return { lastErrorObject: { n: target ? 1 : 0 }, value: project(target), ok: 1 };
    }
    if (target && coll) {
      const next = applyUpdate(target, update, { query, arrayFilters, isInsert: false, mingo });
      if (canonicalKey(next) !== canonicalKey(target)) {
        coll.replace(target, next);
        this.recordChange(updateKind(update) === 'replacement' ? 'replace' : 'update', ctx.db, name, { before: target, after: next });
      }
      return { lastErrorObject: { n: 1, updatedExisting: true }, value: project(returnNew ? next : target), ok: 1 };
    }
    if (upsert) {
      const created = this.store.getOrCreate(ctx.db, name).coll;
      const doc = withId(applyUpdate(seedFromQuery(query), update, { query, arrayFilters, isInsert: true, mingo }));
      created.insert(doc);
      this.recordChange('insert', ctx.db, name, { after: doc });
      return {
        lastErrorObject: { n: 1, updatedExisting: false, upserted: doc['_id'] },
        value: returnNew ? project(doc) : null,
        ok: 1,
      };
    }
    return { lastErrorObject: { n: 0, updatedExisting: false }, value: null, ok: 1 };
  }

  // ------------------------------------------------------------ indexes

  private createIndexes(body: Doc, ctx: CommandContext): Doc {
    const name = this.collName(body, ctx, 'createIndexes');
    const specs = this.statements(body, 'indexes');
    if (specs.length === 0) throw err.badValue('Must specify at least one index to create');
    const { coll, created } = this.store.getOrCreate(ctx.db, name);
    const before = coll.indexes.length;
    for (const spec of specs) {
      if (!isPlainObject(spec) || !isPlainObject(spec['key']) || Object.keys(spec['key']).length === 0) {
        throw err.failedToParse("The 'key' field must be a non-empty object");
      }
      if (typeof spec['name'] !== 'string' || spec['name'] === '') throw err.failedToParse("The 'name' field is a required property of an index specification");
      const index: IndexSpec = {
        name: spec['name'],
        key: spec['key'],
        unique: spec['unique'] === true,
        sparse: spec['sparse'] === true,
        ...(isPlainObject(spec['partialFilterExpression']) ? { partialFilterExpression: spec['partialFilterExpression'] } : {}),
        info: { v: 2, ...cloneValue(spec) },
      };
      const sameName = coll.findIndex(index.name);
      const sameKey = coll.findIndex(index.key);
      if (sameName) {
        if (canonicalKey(sameName.key) === canonicalKey(index.key) && sameName.unique === index.unique && sameName.sparse === index.sparse) continue;
        throw err.indexKeySpecsConflict(
          `An existing index has the same name as the requested index. When index names are not specified, they are auto generated and can cause conflicts. Please refer to our documentation. Requested index: ${JSON.stringify(index.info)}, existing index: ${JSON.stringify(sameName.info)}`,
        );
      }
      if (sameKey && sameKey.unique === index.unique && sameKey.sparse === index.sparse && !index.partialFilterExpression) {
        throw err.indexOptionsConflict(`Index already exists with a different name: ${sameKey.name}`);
      }
      if (index.unique) this.checkExistingUnique(coll, index);
      coll.indexes.push(index);
    }
    const after = coll.indexes.length;
    return {
      numIndexesBefore: before,
      numIndexesAfter: after,
      ...(before === after ? { note: 'all indexes already exist' } : {}),
      createdCollectionAutomatically: created,
      ok: 1,
    };
  }

  /** Building a unique index over duplicate data fails, as on a server. */
  private checkExistingUnique(coll: Collection, index: IndexSpec): void {
    const seen = new Set<string>();
    for (const doc of coll.docs) {
      const keys = indexKeys(index, doc);
      for (const k of keys) {
        if (seen.has(k)) {
          const dup = duplicateKeyError(coll.ns, index, doc);
          throw new CommandError(11000, 'DuplicateKey', `Index build failed: ${coll.uuid.toHexString()}: Collection ${coll.ns} ( ${coll.uuid.toHexString()} ) :: caused by :: ${dup.message}`, dup.extra);
        }
      }
      for (const k of keys) seen.add(k);
    }
  }

  private listIndexes(body: Doc, ctx: CommandContext): Doc {
    const name = this.collName(body, ctx, 'listIndexes');
    const coll = this.store.get(ctx.db, name);
    if (!coll) throw err.namespaceNotFound(`ns does not exist: ${ctx.db}.${name}`);
    const cursor = this.cursors.create(`${ctx.db}.${name}`, coll.indexes.map((i) => cloneValue(i.info)), {
      batchSize: this.batchSizeOf(body['cursor']),
    });
    return { cursor, ok: 1 };
  }

  private dropIndexes(body: Doc, ctx: CommandContext): Doc {
    const name = validateCollectionName(ctx.db, body['dropIndexes'] ?? body['deleteIndexes']);
    const coll = this.store.get(ctx.db, name);
    if (!coll) throw err.namespaceNotFound(`ns not found ${ctx.db}.${name}`);
    const was = coll.indexes.length;
    const which = body['index'];
    if (which === '*') {
      coll.indexes = coll.indexes.filter((i) => i.name === '_id_');
      return { nIndexesWas: was, msg: 'non-_id indexes dropped for collection', ok: 1 };
    }
    const targets = Array.isArray(which) ? which : [which];
    const found = targets.map((t) => {
      const index = coll.findIndex(t);
      if (!index) throw err.indexNotFound(typeof t === 'string' ? `index not found with name [${t}]` : `can't find index with key: ${JSON.stringify(t)}`);
      if (index.name === '_id_') throw err.invalidOptions('cannot drop _id index');
      return index;
    });
    coll.indexes = coll.indexes.filter((i) => !found.includes(i));
    return { nIndexesWas: was, ok: 1 };
  }

  // ------------------------------------------------------------ collections & databases

  private listCollections(body: Doc, ctx: CommandContext): Doc {
    const nameOnly = body['nameOnly'] === true;
    const infos = this.store.collections(ctx.db).map((c) =>
      nameOnly
        ? { name: c.name, type: 'collection' }
        : {
            name: c.name,
            type: 'collection',
            options: cloneValue(c.options),
            info: { readOnly: false, uuid: c.uuid },
            idIndex: { v: 2, key: { _id: 1 }, name: '_id_' },
          },
    );
    const filter = this.filterOf(body['filter'], 'filter');
    const q = new Query(filter, this.options(ctx));
    const docs = infos.filter((d) => q.test(d)) as Doc[];
    const cursor = this.cursors.create(`${ctx.db}.$cmd.listCollections`, docs, { batchSize: this.batchSizeOf(body['cursor']) });
    return { cursor, ok: 1 };
  }

  private create(body: Doc, ctx: CommandContext): Doc {
    const name = this.collName(body, ctx, 'create');
    if (body['viewOn'] !== undefined) throw err.notSupportedHere('views (create with viewOn)');
    if (body['timeseries'] !== undefined) throw err.notSupportedHere('time series collections');
    const { create: _create, lsid: _lsid, $db: _db, $readPreference: _rp, writeConcern: _wc, ...options } = body;
    this.store.create(ctx.db, name, options);
    return { ok: 1 };
  }

  private drop(body: Doc, ctx: CommandContext): Doc {
    const name = this.collName(body, ctx, 'drop');
    const coll = this.store.drop(ctx.db, name);
    if (coll) this.recordChange('drop', ctx.db, name);
    // Since 7.0 dropping a collection that does not exist succeeds.
    return coll ? { nIndexesWas: coll.indexes.length, ns: coll.ns, ok: 1 } : { ok: 1 };
  }

  private dropDatabase(ctx: CommandContext): Doc {
    // As in an oplog: each collection's drop, then the database's.
    const names = this.store.collections(ctx.db).map((c) => c.name);
    this.store.dropDatabase(ctx.db);
    for (const name of names) this.recordChange('drop', ctx.db, name);
    if (names.length > 0) this.recordChange('dropDatabase', ctx.db, undefined);
    return { ok: 1 };
  }

  private listDatabases(body: Doc): Doc {
    const dbs = this.store.databaseNames().map((name) => {
      const size = this.store.collections(name).reduce((s, c) => s + c.docs.length * 64, 0);
      return body['nameOnly'] === true ? { name } : { name, sizeOnDisk: Long.fromNumber(size), empty: size === 0 };
    });
    const q = new Query(this.filterOf(body['filter'], 'filter'), mingoOptions(() => []));
    const databases = dbs.filter((d) => q.test(d));
    if (body['nameOnly'] === true) return { databases, ok: 1 };
    const totalSize = databases.reduce((s, d) => s + toNumber((d as Doc)['sizeOnDisk']), 0);
    return { databases, totalSize, totalSizeMb: Math.round(totalSize / 1024 / 1024), ok: 1 };
  }
}
