import { errors as joseErrors } from 'jose';
import type { Logger } from 'pino';
import type { DbSource } from './context/mongo-connection.js';
import { AuthError } from './errors.js';
import type { JwksStore } from './token/jwks-store.js';
import { logText } from './log-messages.js';

function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

/**
 * The signing keys, as a request would find them: asks the store for an RS256 key with no
 * `kid`, so its own policy applies (fetch when there are none, wait for a fresh copy when
 * they are too old, serve stale ones within `staleIfErrorMs`) and a probe never forces a
 * fetch while good keys are loaded. Bounded by the store's fetch timeout.
 */
export async function jwksReady(store: JwksStore): Promise<void> {
  try {
    await store.getKey({ alg: 'RS256' });
  } catch (error) {
    // Several keys match a header without `kid`: they are loaded, which is all we ask.
    if (error instanceof joseErrors.JWKSMultipleMatchingKeys) return;
    if (error instanceof AuthError && error.code === 'jwks_unavailable') throw error;
    throw new AuthError('jwks_unavailable', { reason: `no usable signing key: ${describe(error)}`, cause: error });
  }
}

/**
 * MongoDB answers a `ping`. Bounded by the client's own timeouts (server selection, socket);
 * while a reconnect is backing off it fails at once.
 */
export async function mongoReady(dbs: DbSource, logger: Logger): Promise<void> {
  try {
    const db = await dbs.db();
    await db.command({ ping: 1 });
  } catch (error) {
    logger.warn({ err: describe(error) }, logText('readinessMongo', describe(error)));
    throw new AuthError('context_unavailable', { reason: describe(error), cause: error });
  }
}
