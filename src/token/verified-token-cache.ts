import { createHash } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import type { Identity } from '../auth-context.js';

/**
 * Verified identities by token hash (never the token itself), each living no longer than the
 * token or session it came from. Bounded by count, so a flood of distinct tokens evicts
 * rather than grows.
 */
export class VerifiedTokenCache {
  private readonly lru: LRUCache<string, Identity> | null;

  constructor(max: number) {
    this.lru = max > 0 ? new LRUCache<string, Identity>({ max, ttlAutopurge: false, allowStale: false }) : null;
  }

  static keyOf(token: string): string {
    return createHash('sha256').update(token).digest('base64url');
  }

  get(key: string): Identity | undefined {
    return this.lru?.get(key);
  }

  /** `expiresAtMs` is absolute; an entry already past it is not stored. */
  set(key: string, identity: Identity, expiresAtMs: number): void {
    const ttl = Math.floor(expiresAtMs - Date.now());
    if (this.lru && ttl > 0) this.lru.set(key, identity, { ttl });
  }

  delete(key: string): void {
    this.lru?.delete(key);
  }

  get size(): number {
    return this.lru?.size ?? 0;
  }
}
