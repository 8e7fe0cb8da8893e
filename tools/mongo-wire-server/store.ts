/**
 * In-memory databases, collections and indexes of the loopback server.
 *
 * Documents are kept in insertion ("natural") order. Only unique indexes have behaviour
 * (they reject duplicate keys with E11000, like a server); every index is listed by
 * listIndexes so code that creates indexes at start-up sees what it created.
 */
import { ObjectId, UUID } from 'bson';
import { Query } from 'mingo/query';
import { canonicalKey, cloneValue, type Doc, isObjectId, isPlainObject, valuesAtPath } from './bson-values.js';
import { CommandError, err } from './errors.js';
import { mingoOptions } from './mingo-bson.js';

export interface IndexSpec {
  name: string;
  key: Doc;
  unique: boolean;
  sparse: boolean;
  partialFilterExpression?: Doc;
  /** The index document as listIndexes returns it. */
  info: Doc;
}

const ID_INDEX: IndexSpec = { name: '_id_', key: { _id: 1 }, unique: true, sparse: false, info: { v: 2, key: { _id: 1 }, name: '_id_' } };

export class Collection {
  docs: Doc[] = [];
  indexes: IndexSpec[] = [ID_INDEX];
  readonly uuid = new UUID();

  constructor(
    readonly db: string,
    readonly name: string,
    readonly options: Doc = {},
  ) {}

  get ns(): string {
    return `${this.db}.${this.name}`;
  }

  /** Fresh copies of the documents, so a query can never alter stored data. */
  snapshot(): Doc[] {
    return this.docs.map(cloneValue);
  }

  /**
   * Throws E11000 if `doc` would duplicate a unique key of another document (`self` is
   * the stored document being replaced, which may keep its own keys).
   */
  checkUnique(doc: Doc, self?: Doc): void {
    for (const index of this.indexes) {
      if (!index.unique) continue;
      const keys = indexKeys(index, doc);
      if (keys.size === 0) continue;
      for (const other of this.docs) {
        if (other === self) continue;
        for (const k of indexKeys(index, other)) {
          if (keys.has(k)) throw duplicateKeyError(this.ns, index, doc);
        }
      }
    }
  }

  insert(doc: Doc): void {
    this.checkUnique(doc);
    this.docs.push(doc);
  }

  replace(old: Doc, next: Doc): void {
    this.checkUnique(next, old);
    const i = this.docs.indexOf(old);
    if (i < 0) throw new Error('bug: replacing a document that is not stored');
    this.docs[i] = next;
  }

  remove(doc: Doc): void {
    const i = this.docs.indexOf(doc);
    if (i >= 0) this.docs.splice(i, 1);
  }

  findIndex(nameOrKey: unknown): IndexSpec | undefined {
    if (typeof nameOrKey === 'string') return this.indexes.find((i) => i.name === nameOrKey);
    const k = canonicalKey(nameOrKey);
    return this.indexes.find((i) => canonicalKey(i.key) === k);
  }
}

/** The set of index keys a document produces (one per array element for multikey). */
export function indexKeys(index: IndexSpec, doc: Doc): Set<string> {
  const fields = Object.keys(index.key);
  const perField = fields.map((f) => valuesAtPath(doc, f).values);
  if (index.sparse && perField.every((vs) => vs.length === 0)) return new Set();
  if (index.partialFilterExpression) {
    const q = new Query(index.partialFilterExpression, mingoOptions(() => []));
    if (!q.test(doc)) return new Set();
  }
  // A missing field (or an empty array) is indexed as null, so two documents without the
  // field collide in a unique index — as on a real server.
  let combos: string[] = [''];
  for (const values of perField) {
    const parts = values.length > 0 ? values.map(canonicalKey) : [canonicalKey(null)];
    combos = combos.flatMap((prefix) => parts.map((p) => `${prefix}|${p}`));
  }
  return new Set(combos);
}

/** A value as the server prints it in an E11000 message (`dup key: { k: "x" }`). */
function shellValue(v: unknown): string {
  if (v === undefined || v === null) return 'null';
  if (typeof v === 'string') return JSON.stringify(v);
  if (isObjectId(v)) return `ObjectId('${v.toHexString()}')`;
  if (v instanceof Date) return `new Date(${v.getTime()})`;
  if (Array.isArray(v)) return `[ ${v.map(shellValue).join(', ')} ]`;
  if (isPlainObject(v)) {
    const entries = Object.entries(v).map(([k, x]) => `${k}: ${shellValue(x)}`);
    return entries.length ? `{ ${entries.join(', ')} }` : '{}';
  }
  return String(v);
}

export function duplicateKeyError(ns: string, index: IndexSpec, doc: Doc): CommandError {
  const keyValue: Doc = {};
  for (const f of Object.keys(index.key)) {
    const { values } = valuesAtPath(doc, f);
    keyValue[f] = values.length === 1 ? values[0] : values.length === 0 ? null : values;
  }
  const dup = Object.entries(keyValue)
    .map(([k, v]) => `${k}: ${shellValue(v)}`)
    .join(', ');
  return new CommandError(11000, 'DuplicateKey', `E11000 duplicate key error collection: ${ns} index: ${index.name} dup key: { ${dup} }`, {
    keyPattern: index.key,
    keyValue,
  });
}

const BAD_DB_CHARS = /[/\\. "$*<>:|?\0]/;

export function validateDbName(name: unknown): string {
  if (typeof name !== 'string' || name.length === 0 || name.length >= 64 || BAD_DB_CHARS.test(name)) {
    throw err.invalidNamespace(`Invalid database name: '${String(name)}'`);
  }
  return name;
}

export function validateCollectionName(db: string, name: unknown): string {
  if (typeof name !== 'string' || name.length === 0) {
    throw err.invalidNamespace(`Invalid namespace specified '${db}.${String(name)}'`);
  }
  if (name.includes('$') || name.includes('\0') || name.startsWith('.') || name.startsWith('system.')) {
    throw err.invalidNamespace(`Invalid collection name: ${name}`);
  }
  return name;
}

export class Store {
  private readonly dbs = new Map<string, Map<string, Collection>>();

  databaseNames(): string[] {
    return [...this.dbs.keys()].filter((d) => (this.dbs.get(d)?.size ?? 0) > 0).sort();
  }

  collections(db: string): Collection[] {
    return [...(this.dbs.get(db)?.values() ?? [])];
  }

  get(db: string, name: string): Collection | undefined {
    return this.dbs.get(db)?.get(name);
  }

  /** The collection, created on first use (inserts, upserts and createIndexes do that). */
  getOrCreate(db: string, name: string): { coll: Collection; created: boolean } {
    const existing = this.get(db, name);
    if (existing) return { coll: existing, created: false };
    return { coll: this.create(db, name, {}), created: true };
  }

  create(db: string, name: string, options: Doc): Collection {
    validateDbName(db);
    validateCollectionName(db, name);
    if (this.get(db, name)) throw err.namespaceExists(`Collection ${db}.${name} already exists.`);
    let colls = this.dbs.get(db);
    if (!colls) {
      colls = new Map();
      this.dbs.set(db, colls);
    }
    const coll = new Collection(db, name, options);
    colls.set(name, coll);
    return coll;
  }

  drop(db: string, name: string): Collection | undefined {
    const coll = this.get(db, name);
    this.dbs.get(db)?.delete(name);
    return coll;
  }

  dropDatabase(db: string): void {
    this.dbs.delete(db);
  }

  /** Documents of a collection for `$lookup`/`$unionWith` (a missing collection is empty). */
  resolver(db: string): (name: string) => Doc[] {
    return (name) => this.get(db, name)?.snapshot() ?? [];
  }
}

/** A new `_id` placed first, as the server does for documents inserted without one. */
export function withId(doc: Doc): Doc {
  if (doc['_id'] !== undefined) {
    if (Array.isArray(doc['_id'])) throw err.badValue("can't use an array for _id");
    if (Object.keys(doc)[0] === '_id') return doc;
    const { _id, ...rest } = doc;
    return { _id, ...rest };
  }
  return { _id: new ObjectId(), ...doc };
}
