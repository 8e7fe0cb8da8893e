import type { MongoClientOptions } from 'mongodb';
import { MONGO_CLIENT_DEFAULTS } from './options-schema.js';

export { MONGO_CLIENT_DEFAULTS } from './options-schema.js';

/** Option names a connection string sets in its query, lower-cased (the driver reads them case-insensitively). */
export function uriOptionNames(uri: string): Set<string> {
  const query = uri.indexOf('?');
  const names = new Set<string>();
  if (query === -1) return names;
  const end = uri.indexOf('#', query);
  for (const key of new URLSearchParams(uri.slice(query + 1, end === -1 ? undefined : end)).keys()) {
    names.add(key.toLowerCase());
  }
  return names;
}

/**
 * The options object for `new MongoClient(uri, options)`. The driver lets an options object
 * override the URI, so passing the defaults wholesale silently replaced
 * `?serverSelectionTimeoutMS=300`: a default is passed only where neither the URI nor
 * `clientOptions` sets that option; `clientOptions` (the caller's code) is passed as given.
 */
export function mongoClientOptions(mongo: {
  readonly uri: string;
  readonly clientOptions?: Readonly<Record<string, unknown>> | MongoClientOptions;
}): MongoClientOptions {
  const clientOptions: Readonly<Record<string, unknown>> = { ...mongo.clientOptions };
  const taken = uriOptionNames(mongo.uri);
  for (const key of Object.keys(clientOptions)) taken.add(key.toLowerCase());
  const defaults: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(MONGO_CLIENT_DEFAULTS)) {
    if (!taken.has(key.toLowerCase())) defaults[key] = value;
  }
  return { ...defaults, ...clientOptions } as MongoClientOptions;
}
